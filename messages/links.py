"""Where the hub's texts and Twilio's callbacks point, under ``HUB_PUBLIC_URL``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Links:
    """Where pages point: the staff page for a contact and the paging call's keypress URL."""

    public_url: str

    def contact(self, ref: str) -> str:
        return f"{self.public_url}/staff/c/{ref}"

    def inbox(self) -> str:
        return f"{self.public_url}/staff"

    def call_gather(self, page_id: int) -> str:
        return f"{self.public_url}/twilio/page-ack/{page_id}"

    def round_ack(self, bundle_id: int) -> str:
        """The keypress of a last-resort round's call about several contacts."""
        return f"{self.public_url}/twilio/round-ack/{bundle_id}"

    def status_callback(self) -> str:
        return f"{self.public_url}/twilio/status"

    def page_call(self, page_id: int) -> str:
        """Where a paging call fetches its TwiML once answering machine detection is done."""
        return f"{self.public_url}/twilio/page-call/{page_id}"

    def page_bundle_call(self, bundle_id: int) -> str:
        """Where one paging call about several contacts fetches its TwiML once answered."""
        return f"{self.public_url}/twilio/page-bundle-call/{bundle_id}"

    def call(self, stage: str) -> str:
        """A live call's menu callbacks: language, which, birth-date, menu."""
        return f"{self.public_url}/twilio/call/{stage}"

    def whisper(self, attempt_id: int, staff_id: int) -> str:
        return f"{self.public_url}/twilio/call/whisper/{attempt_id}/{staff_id}"

    def accept(self, attempt_id: int, staff_id: int) -> str:
        return f"{self.public_url}/twilio/call/accept/{attempt_id}/{staff_id}"

    def dial_done(self, attempt_id: int) -> str:
        return f"{self.public_url}/twilio/call/dial-done/{attempt_id}"

    def transcription(self) -> str:
        return f"{self.public_url}/twilio/transcription"

    def voicemail_done(self) -> str:
        return f"{self.public_url}/twilio/voicemail-done"

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

    def status_callback(self) -> str:
        return f"{self.public_url}/twilio/status"

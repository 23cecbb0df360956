"""The paging call's TwiML, written as text, is the document twilio's builder would write."""

from __future__ import annotations

import pytest
from twilio.twiml.voice_response import Gather, VoiceResponse

from messages.twiml import page_call


def _built(ref: str, gather_url: str, urgent: bool) -> str:
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=gather_url, method="POST", timeout=10)
    words = "Urgent care line page." if urgent else "Care line page."
    gather.say(f"{words} Contact {' '.join(ref)} needs a callback. Press 1 to acknowledge.")
    response.append(gather)
    response.say("No key pressed. Goodbye.")
    return str(response)


@pytest.mark.parametrize(("ref", "url", "urgent"), [
    ("C7K2Q9", "https://hub.example.org/twilio/page-ack/41", True),
    ("C7K2Q9", "https://hub.example.org/twilio/page-ack/41", False),
    ("A<&>\"'", "https://hub.example.org/p?a=1&b=\"2\"\n\t\r<x>'y'", False),
])
def test_same_document_as_the_builder(ref: str, url: str, urgent: bool) -> None:
    assert page_call(ref, url, urgent) == _built(ref, url, urgent)

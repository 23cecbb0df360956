"""A caller (and the staff phones the hub rings) walking the hub's TwiML as Twilio would:
each answer is parsed, its verbs read, and the next request goes where Twilio would send it
(a Gather's action with the keys pressed, the Redirect after it on silence, a Number's url
on the staff leg once answered, the Dial's action when the dial ends)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from xml.etree import ElementTree

from tests.conftest import ACCOUNT_SID, PRACTICE_NUMBER, PUBLIC_URL


def sid() -> str:
    return "CA" + uuid.uuid4().hex


def path_of(url: str) -> str:
    assert url.startswith(PUBLIC_URL), url
    return url[len(PUBLIC_URL):]


@dataclass
class Answer:
    """One TwiML answer: the document and shortcuts to what a test asserts on."""

    status: int
    root: ElementTree.Element

    @classmethod
    def of(cls, response) -> Answer:  # type: ignore[no-untyped-def]
        assert response.status_code == 200, (response.status_code, response.text)
        assert response.mimetype == "text/xml"
        return cls(response.status_code, ElementTree.fromstring(response.text))

    @property
    def verbs(self) -> list[str]:
        return [child.tag for child in self.root]

    @property
    def said(self) -> str:
        return " ".join(node.text or "" for node in self.root.iter("Say"))

    def first(self, tag: str) -> ElementTree.Element:
        node = self.root.find(f".//{tag}")
        assert node is not None, f"no <{tag}> in {self.verbs}"
        return node

    @property
    def dialled(self) -> list[str]:
        return [(n.text or "").strip() for n in self.first("Dial").iter("Number")]


@dataclass
class Caller:
    """A phone calling the practice line: ``call()``, then ``press``/``silence``, and the
    staff legs and dial ends Twilio would report."""

    twilio: object
    number: str | None
    call_sid: str = field(default_factory=sid)
    last: Answer | None = None
    history: list[Answer] = field(default_factory=list)

    def _post(self, path: str, **params: str):  # type: ignore[no-untyped-def]
        form = {"CallSid": self.call_sid, "AccountSid": ACCOUNT_SID, "To": PRACTICE_NUMBER,
                "Direction": "inbound", **params}
        if self.number is not None:
            form.setdefault("From", self.number)
        return self.twilio.post(path, form)  # type: ignore[attr-defined]

    def _follow(self, path: str, **params: str) -> Answer:
        self.last = Answer.of(self._post(path, **params))
        self.history.append(self.last)
        return self.last

    def call(self) -> Answer:
        return self._follow("/twilio/voice", CallStatus="ringing")

    def press(self, digits: str) -> Answer:
        """Key ``digits`` into the Gather now playing (Twilio posts them to its action)."""
        gather = self.last.first("Gather")  # type: ignore[union-attr]
        return self._follow(path_of(gather.attrib["action"]), Digits=digits)

    def silence(self) -> Answer:
        """Press nothing: the Gather times out and Twilio runs the next verb, which must be a
        Redirect (a Hangup or the document's end would leave the caller with nothing)."""
        verbs = list(self.last.root)  # type: ignore[union-attr]
        after = verbs[[v.tag for v in verbs].index("Gather") + 1:]
        assert after and after[0].tag == "Redirect", f"silence ends in {[v.tag for v in after]}"
        return self._follow(path_of((after[0].text or "").strip()))

    def walk_until_dial(self, limit: int = 6) -> Answer:
        """Press nothing at any menu until the hub dials someone."""
        for _ in range(limit):
            if "Dial" in self.last.verbs:  # type: ignore[union-attr]
                return self.last  # type: ignore[return-value]
            self.silence()
        raise AssertionError("silence never reached a <Dial>")

    def staff_leg(self, number: str) -> StaffLeg:
        """The staff phone ``number`` rung by the current Dial answers: Twilio fetches its
        Number's url on that leg."""
        for node in self.last.first("Dial").iter("Number"):  # type: ignore[union-attr]
            if (node.text or "").strip() == number:
                leg = StaffLeg(self, sid())
                leg.last = Answer.of(leg.post(path_of(node.attrib["url"])))
                return leg
        raise AssertionError(f"{number} was not dialled")

    def dial_ends(self, status: str = "completed", seconds: int | None = None) -> Answer:
        """The Dial ends (Twilio posts DialCallStatus and DialCallDuration to its action)."""
        dial = self.last.first("Dial")  # type: ignore[union-attr]
        params = {"DialCallStatus": status, "DialCallSid": sid()}
        if seconds is not None:
            params["DialCallDuration"] = str(seconds)
        return self._follow(path_of(dial.attrib["action"]), **params)

    def record(self, transcript: str | None = None, seconds: int = 20) -> Answer:
        """Leave the voicemail the Record verb asks for (and its transcript, when given)."""
        record = self.last.first("Record")  # type: ignore[union-attr]
        recording = "RE" + uuid.uuid4().hex
        answer = self._follow(
            path_of(record.attrib["action"]), RecordingSid=recording,
            RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
                         f"/Recordings/{recording}", RecordingDuration=str(seconds))
        if transcript is not None:
            self._post(path_of(record.attrib["transcribeCallback"]), RecordingSid=recording,
                       TranscriptionSid="TR" + uuid.uuid4().hex, TranscriptionText=transcript,
                       TranscriptionStatus="completed")
        return answer

    def hang_up(self):  # type: ignore[no-untyped-def]
        """The caller hangs up: the inbound call's status callback."""
        return self._post("/twilio/status", CallStatus="completed", CallDuration="30")


@dataclass
class StaffLeg:
    """The staff member's phone on one Dial: it heard the whisper and may press a key."""

    caller: Caller
    call_sid: str
    last: Answer | None = None

    def post(self, path: str, **params: str):  # type: ignore[no-untyped-def]
        form = {"CallSid": self.call_sid, "ParentCallSid": self.caller.call_sid,
                "AccountSid": ACCOUNT_SID, "From": PRACTICE_NUMBER, "Direction": "outbound-dial",
                **params}
        return self.caller.twilio.post(path, form)  # type: ignore[attr-defined]

    def press(self, digits: str) -> Answer:
        gather = self.last.first("Gather")  # type: ignore[union-attr]
        self.last = Answer.of(self.post(path_of(gather.attrib["action"]), Digits=digits))
        return self.last

    def silence(self) -> list[str]:
        """No key (a voicemail greeting, a phone in a pocket): the verbs after the Gather."""
        verbs = [v.tag for v in self.last.root]  # type: ignore[union-attr]
        return verbs[verbs.index("Gather") + 1:]


def paging_call_twiml(twilio, request, answered_by: str = "human") -> str:  # type: ignore[no-untyped-def]
    """What a paged staff member hears: a paging call asks Twilio for answering machine
    detection and fetches its TwiML from the hub with ``AnsweredBy`` (as Twilio does)."""
    assert request.form["MachineDetection"] == "Enable"
    response = twilio.post(path_of(request.form["Url"]), {
        "CallSid": "CA" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID, "To": request.form["To"],
        "From": request.form["From"], "AnsweredBy": answered_by, "Direction": "outbound-api"})
    assert response.status_code == 200
    return response.text

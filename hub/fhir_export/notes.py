"""The sentence each contact-log event becomes in a Communication's notes.

One template per event, filled from the entry's detail (and a few values worked out from
it: staff names, the step as people count it). An event without a template is noted by its
name, so nothing in the log is left out of the record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NOT_DELIVERED = "A {channel} page to {staff} was not delivered"
TEMPLATES = {
    "contact.triaged": "Triaged {urgency}{told}{rules}",
    "escalation.paged": "Paged {staff_names} by {channel_list} (step {step})",
    "escalation.step_skipped": "Escalation step {step} skipped: {reason}",
    "escalation.exhausted": "Escalation ran out of steps: nobody acknowledged",
    "escalation.hastened": "Escalation hastened: {reason}",
    "escalation.last_resort": "Last-resort round: paged {staff_names} (fallback number "
                              "called: {fallback_called})",
    "engine.quarantined": "Set aside by the engine after {failures} failures ({error})",
    "engine.released": "Put back in line after the engine set it aside",
    "contact.acknowledged": "Acknowledged via {via}",
    "callback.overdue": "Callback overdue (not resolved in time): escalation resumed",
    "contact.resolved": "Resolved via {via}{disposition_text}",
    "care_time.added": "Care-management time: {minutes} min ({source}, {staff_type})",
    "callback.started": "Callback through the practice line started",
    "callback.ended": "Callback through the practice line ended: {status}, {seconds} s connected",
    "contact.patient_chosen": "Sender said which patient (choice {choice})",
    "contact.transcribed": "Voicemail transcribed (the payload)",
    "contact.transcription_failed": "Voicemail transcription failed ({status})",
    "consent.missing": "No active CCM consent on file for this patient",
    "outbound.failed": _NOT_DELIVERED,
    "outbound.undelivered": _NOT_DELIVERED,
    "contact_method.broken": "{staff}'s number refused an {channel} page",
}


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def note_text(event: str, detail: dict[str, Any], name: Callable[[Any], str]) -> str:
    """The sentence for one log entry; ``name`` gives a staff member's name from their id."""
    template = TEMPLATES.get(event)
    if template is None:
        return event
    step = detail.get("step")
    guidance, disposition = detail.get("guidance"), detail.get("disposition")
    rules = [*detail.get("fired", []), *detail.get("plan_rules", [])]
    values = _Values(
        detail,
        step=step + 1 if isinstance(step, int) else step,  # the log counts from 0
        staff=name(detail.get("staff_id")),
        staff_names=", ".join(name(i) for i in detail.get("staff_ids", [])) or "nobody",
        channel_list=", ".join(detail.get("channels", [])),
        told=f" (sender told to call {guidance})" if guidance else "",
        rules=f"; rules: {', '.join(rules)}" if rules else "",
        disposition_text=f": {disposition}" if disposition else "",
    )
    return template.format_map(values)

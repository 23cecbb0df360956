"""A patient's care plan worded for people: the one source of the staff care plan page and of
``hub care-plan show``.

    sheet = care_plan_sheet.build(session, patient)
    sheet.facts        # born, language, care manager, review date, CCM consent
    sheet.sections     # emergency instructions, allergies, problems ... care plans

The page renders each section (a list, a table, label and value pairs, or paragraphs) and the
command line prints the same sections as text, so neither can show what the other leaves out.
What the practice recorded with ``hub care-plan set`` for a section stands as its ``note``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, tzinfo

from sqlalchemy.orm import Session

from hub import care_plan
from hub.care_plan import CarePlanView
from hub.fhir.derived_rules import not_understood
from hub.models import CarePlanActivity, Contact, Patient, PlanRule


@dataclass(frozen=True)
class Line:
    """One entry of a section: a list item, a table row (one text per column) or a label and
    its value. A text may hold several lines ("\\n"). ``mark``: "urgent" (a high-criticality
    allergy, what a caregiver must not be told, no CCM consent), "box" (the emergency
    instructions) or "muted"."""

    cells: tuple[str, ...]
    mark: str = ""


@dataclass(frozen=True)
class Section:
    """A titled part of the plan. ``kind``: list, table (with ``columns``), pairs or text."""

    title: str
    lines: list[Line]
    kind: str = "list"
    columns: tuple[str, ...] = ()
    note: str | None = None  # what the practice recorded for this part (hub care-plan set)
    empty: str = "None recorded."


@dataclass(frozen=True)
class Sheet:
    """The plan as people read it; ``contacts`` are the recent contacts the page shows beside
    it (the command line leaves them to ``hub export-log``)."""

    patient: Patient
    title: str
    facts: Section
    sections: list[Section]
    contacts: list[Contact] = field(default_factory=list)


def build(session: Session, patient: Patient, tz: tzinfo = UTC) -> Sheet:
    """The patient's whole care plan, worded (the queries are :func:`hub.care_plan.load`'s),
    its times in ``tz`` (the practice's zone)."""
    return words(care_plan.load(session, patient), tz)


def _joined(*parts: str | None, sep: str = "; ") -> str:
    return sep.join(p for p in parts if p)


def _spaced(value: str | None) -> str:
    return (value or "").replace("-", " ")


def _facts(view: CarePlanView, tz: tzinfo) -> Section:
    p, chart = view.patient, view.chart
    review = view.review
    consent = chart.consent
    if chart.consent_on_file and consent is not None:
        ccm = Line(("CCM consent", _joined(f"active, dated {consent.date or '(no date)'}",
                                           consent.method or "method not recorded",
                                           consent.obtained_by and
                                           f"obtained by {consent.obtained_by}")))
    else:
        latest = "" if consent is None else (
            f" (latest consent: {_joined(consent.status, consent.date, sep=', ')})")
        ccm = Line(("CCM consent", f"No CCM consent on file{latest}"), "urgent")
    return Section("", kind="pairs", lines=[
        Line(("Born", p.birth_date or "not recorded")),
        Line(("Preferred language", view.language)),
        Line(("Care manager", p.care_manager.name if p.care_manager else "none designated")),
        Line(("Periodic review", f"{review[0] or 'no date'} ({review[1]})")),
        ccm,
        *(Line(("Texts", f"{o.whose[:1].upper()}{o.whose[1:]} opted out of texts ({o.keyword}, "
                         f"{o.since.astimezone(tz):%Y-%m-%d %H:%M %Z}): call instead"), "urgent")
          for o in view.opted_out)])


def _prognosis(view: CarePlanView) -> str:
    assessments = []
    for a in view.prognoses[:3]:
        when = _joined(a.date and f"of {a.date}", sep="")
        status = "" if a.status == "completed" else f", {_spaced(a.status)}"
        assessments.append(f"{_joined(a.prognosis, a.summary, sep=': ')} "
                           f"(assessment{' ' + when if when else ''}{status})")
    return "\n".join([view.fields.get("prognosis", ""), *assessments]).strip() or "not recorded"


def _goals(view: CarePlanView) -> list[Line]:
    lines = [Line((_joined(g.goal.description or "(not described)", g.goal.note, sep="\n"),
                   "\n".join(_joined(t["measure"], t["detail"], sep=" ") for t in g.targets),
                   "\n".join(t["due"] for t in g.targets if t["due"]),
                   _joined(g.goal.lifecycle_status, _spaced(g.goal.achievement_status),
                           sep=", "))) for g in view.goals]
    return lines + [Line((name, "", "", "not imported (named by the care plan)"), "muted")
                    for name in view.other_goals]


def _activity(a: CarePlanActivity) -> Line:
    who = _joined(a.performer.name if a.performer else None, a.performer_text) or "not named"
    return Line((a.text or "(not described)", who, a.scheduled or "", _spaced(a.status)))


ACTIVITY_COLUMNS = ("What", "Who is responsible", "When", "Status")
RULE_COLUMNS = ("Rule", "Urgent when", "From the plan's words", "State")
NOT_UNDERSTOOD = "not understood"
_WHEN = {"weight_gain_day": "weight up {} lb or more in a day",
         "weight_gain_week": "weight up {} lb or more in a week",
         "weight_above": "weight {} lb or more", "glucose_above": "glucose {} mg/dL or more",
         "glucose_below": "glucose {} mg/dL or less",
         "bp_systolic_above": "systolic {} mmHg or more",
         "bp_diastolic_above": "diastolic {} mmHg or more",
         "bp_systolic_below": "systolic {} mmHg or less", "spo2_below": "SpO2 {}% or less",
         "pulse_above": "pulse {} or more", "pulse_below": "pulse {} or less",
         "temperature_above": "temperature {} F or more"}


def _rule(r: PlanRule) -> Line:
    when = _WHEN.get(r.metric, r.metric + " {}").format(f"{r.threshold:g}")
    origin = "from the EHR" if r.origin == "fhir" else "set in the hub"
    state = f"{r.state} ({origin})"
    if r.origin == "fhir" and r.state == "off" and r.decided_by is None:
        state = "off (a goal's target, not a call threshold: hub plan-rule on to apply it)"
    if r.derived_threshold is not None and r.derived_threshold != r.threshold:
        state += f"; the EHR's words give {r.derived_threshold:g}"
    return Line((r.code, f"{r.metric}: {when}", r.source_text or r.instruction or "", state),
                "muted" if r.state == "off" else "")


def _rules(view: CarePlanView) -> list[Line]:
    """The thresholds, then every instruction of a current plan the hub could not read."""
    texts = [a.text for kind in view.activities.values() for a in kind]
    for plan in view.plans:
        if plan.status not in care_plan.PAST_STATUSES:
            content = json.loads(plan.content or "{}")
            texts += [content.get("description"), content.get("note")]
    return [_rule(r) for r in view.rules] + [
        Line(("-", NOT_UNDERSTOOD, sentence, "not understood: read it and set a rule by hand"),
             "urgent") for sentence in dict.fromkeys(not_understood(texts))]


def _activities(view: CarePlanView, title: str, kind: str, note: str | None) -> Section:
    return Section(title, [_activity(a) for a in view.activities.get(kind, [])], "table",
                   ACTIVITY_COLUMNS, note)


def _care_team(view: CarePlanView) -> list[Line]:
    lines = []
    for member in view.care_team:
        team = member.team
        status = "" if team.status in (None, "active") else f", {team.status}"
        lines.append(Line((f"{member.staff.name}: "
                           + _joined(member.role_display or member.role_code or "role not given",
                                     "designated care manager" if member.is_care_manager
                                     else None, sep=", ")
                           + (f" ({team.name or 'care team'}{status})"
                              if team.name or status else ""),)))
    return lines


def _caregivers(view: CarePlanView) -> list[Line]:
    lines = []
    for c in view.caregivers:
        who = c.caregiver
        told = "; ".join(c.may_be_told) or "nothing recorded: ask the care manager before sharing"
        refused = f"; not to be told {'; '.join(c.may_not_be_told)}" if c.may_not_be_told else ""
        lines.append(Line((f"{who.name} (caregiver {who.id}, "
                           + _joined(who.relationship_text or "relationship not given",
                                     who.phone, sep=", ")
                           + f"): may be told {told}{refused}.",),
                          "urgent" if c.may_not_be_told else ""))
    return lines


def words(view: CarePlanView, tz: tzinfo = UTC) -> Sheet:
    """The sections of the plan, in the order the page shows them."""
    chart, fields = view.chart, view.fields
    emergency = fields.get("emergency_instructions")
    sections = [
        Section("Emergency instructions", [Line((emergency,), "box")] if emergency else [],
                "text", empty="None recorded (hub care-plan set --field "
                              "emergency_instructions)."),
        Section("Allergies", [Line((
            f"{a.substance or '(substance not named)'}: criticality {a.criticality or 'not given'}"
            + (f"; reaction {a.reaction}" if a.reaction else "")
            + (f" ({a.clinical_status})" if a.clinical_status not in (None, "active") else ""),),
            "urgent" if a.criticality == "high" else "") for a in chart.allergies]),
        Section("Problem list", [Line((f"{c.text or c.code} "
                                       f"({c.clinical_status or 'status not given'})",))
                                 for c in view.problems]),
        Section("Expected outcome and prognosis", kind="pairs", lines=[
            Line((care_plan.FIELDS["expected_outcome"],
                  fields.get("expected_outcome") or "not recorded")),
            Line((care_plan.FIELDS["prognosis"], _prognosis(view)))]),
        Section("Measurable goals", _goals(view), "table", ("Goal", "Target", "Due", "Status")),
        Section("Symptom management", _rules(view), "table", RULE_COLUMNS,
                note=fields.get("symptom_management"), empty="No thresholds set."),
        Section("Medications", [Line((
            (m.text or "(medication not named)") + (f": {m.dosage}" if m.dosage else "")
            + f" ({m.status or 'status not given'}"
            + (f", {'prescribed' if m.kind == 'request' else 'reported'} {m.date}"
               if m.date else "") + ")",)) for m in chart.medications],
            note=fields.get("medication_management")),
        _activities(view, "Planned interventions", "intervention", None),
        _activities(view, "Community and social services", "community",
                    fields.get("community_services")),
        _activities(view, "Coordination with outside providers", "referral",
                    fields.get("outside_providers")),
        Section("Care team", _care_team(view)),
        Section("Caregivers and what each may be told", _caregivers(view)),
        Section("Care plans", [Line((
            f"{care_plan.plan_title(p)} ({p.status or 'status not given'}"
            + (f", {p.period_start or '...'} to {p.period_end or '...'}"
               if p.period_start or p.period_end else "") + ")",)) for p in view.plans]),
    ]
    return Sheet(view.patient, f"Care plan: {view.patient.name}", _facts(view, tz), sections,
                 view.contacts)


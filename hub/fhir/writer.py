"""Write validated, resolved entries into the hub's rows: insert, or update in place by fhir_id.

Runs only after every entry has been validated and every needed reference resolved, so
it has no reason to stop half-way; it adds to the session and never commits.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub.fhir import changes, chart, mapping
from hub.fhir.bundle import Entry
from hub.fhir.links import Links
from hub.fhir.plan_writer import PlanWriting
from hub.fhir.progress import Progress
from hub.fhir.refs import Target
from hub.fhir.summary import KEPT_TYPES, ImportSummary
from hub.models import (
    Allergy,
    Caregiver,
    CarePlan,
    CareTeam,
    CareTeamMember,
    Condition,
    Consent,
    Goal,
    Medication,
    Patient,
    PatientPhone,
    Prognosis,
    Staff,
)
from hub.phones import DEFAULT_REGION, phone_index

Row = TypeVar("Row", Staff, Patient, Caregiver, CareTeam, CarePlan, Condition, Medication,
              Allergy, Consent, Goal, Prognosis)
_TABLES: dict[str, Any] = {
    "Practitioner": Staff, "Patient": Patient, "RelatedPerson": Caregiver,
    "CareTeam": CareTeam, "CarePlan": CarePlan, "Condition": Condition, "Goal": Goal,
    "ClinicalImpression": Prognosis,
    "MedicationRequest": Medication, "MedicationStatement": Medication,
    "AllergyIntolerance": Allergy, "Consent": Consent,
}
# Requests and statements share the medications table: each is found among its own kind.
_MEDICATION_KIND = {"MedicationRequest": "request", "MedicationStatement": "statement"}
_CHILDREN: dict[Any, Any] = {CarePlan: CarePlan.activities, Consent: Consent.disclosures,
                             CareTeam: CareTeam.members}
_NOT_CURRENT_TEAM = {"inactive", "entered-in-error"}
UNNAMED = "(no name given)"


class Writer(PlanWriting):
    """One import's writes; ``rows`` maps each written entry to its row."""

    def __init__(self, session: Session, summary: ImportSummary,
                 region: str = DEFAULT_REGION) -> None:
        self.session = session
        self.summary = summary
        self.region = region  # how numbers in national format are read
        self.rows: dict[int, Any] = {}
        self._emails: dict[str, Staff] = {}
        self._managed: set[int] = set()
        self._found: list[tuple[str, Any]] = []  # (kind, row) of each entry counted updated

    def write(self, entries: list[Entry], links: Links, progress: Progress | None = None) -> None:
        """Write every entry, people before what refers to them."""
        done = 0
        with self.session.no_autoflush:
            for kind in KEPT_TYPES:
                batch = [e for e in entries if e.kind == kind]
                table = _TABLES.get(kind)
                found = self._existing(table, [e.key for e in batch], kind) if table else {}
                for entry in batch:
                    getattr(self, "_" + kind.lower())(entry, found.get(entry.key), links)
                    done += 1
                    if progress is not None:
                        progress("prepared", done, len(entries))
        self._count_unchanged()

    def _count_unchanged(self) -> None:
        """Rows found and written back as they were are unchanged, not updated."""
        for kind, row in self._found:
            if not changes.changed(self.session, row):
                self.summary.updated[kind] -= 1
                self.summary.unchanged[kind] += 1
        self.summary.updated = +self.summary.updated  # drop the kinds left at 0

    def _existing(self, table: Any, keys: list[str], kind: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):
            query = select(table).where(table.fhir_id.in_(keys[start:start + 500]))
            if kind in _MEDICATION_KIND:
                query = query.where(Medication.kind == _MEDICATION_KIND[kind])
            if table in _CHILDREN:  # replaced in place on re-import: one query, not one a row
                query = query.options(selectinload(_CHILDREN[table]))
            for row in self.session.scalars(query):
                found[row.fhir_id] = row
        return found

    def _row(self, entry: Entry, row: Row | None, table: type[Row]) -> Row:
        if row is None:
            row = table(fhir_id=entry.key)
            self.session.add(row)
            self.summary.created[entry.kind] += 1
        else:
            self.summary.updated[entry.kind] += 1
            self._found.append((entry.kind, row))
        self.rows[id(entry)] = row
        return row

    def _target(self, target: Target) -> Any:
        return self.rows[id(target)] if isinstance(target, Entry) else target

    # -- staff ---------------------------------------------------------------------------

    def _set_email(self, staff: Staff, address: str | None) -> None:
        if not address or staff.email == address:
            return
        holder = self._emails.get(address) or self.session.scalars(
            select(Staff).where(Staff.email == address)
        ).first()
        if holder is not None and holder is not staff:
            self.summary.skipped_emails += 1  # the address belongs to another staff member
            return
        staff.email = address
        self._emails[address] = staff

    def _set_staff_phone(self, staff: Staff, telecom: list[Any] | None) -> None:
        number, skipped = mapping.best_phone(telecom, self.region)
        self.summary.skipped_phones += skipped
        if number:
            index = phone_index(number)
            if staff.phone_index not in (None, index):
                self.summary.phones_replaced += 1  # pages go to the new number only
            staff.phone, staff.phone_index = number, index

    def _practitioner(self, entry: Entry, row: Staff | None, links: Links) -> None:
        resource = entry.resource
        address = mapping.email(resource.telecom)
        if row is None and address:
            # A staff member created by hand before the first import is adopted, not doubled
            # (also once the hub's own export has given them an id of its own).
            holder = self.session.scalars(select(Staff).where(Staff.email == address)).first()
            if holder is not None and (holder.fhir_id is None
                                       or holder.fhir_id.startswith(mapping.HUB_ID_PREFIX)):
                row = holder
        new = row is None
        staff = self._row(entry, row, Staff)
        if new:
            staff.role = "physician"
        staff.fhir_id = entry.key
        staff.name = mapping.person_name(resource.name) or staff.name or UNNAMED
        staff.fhir_identifier = mapping.identifier_key(resource.identifier) or staff.fhir_identifier
        self._set_email(staff, address)
        self._set_staff_phone(staff, resource.telecom)
        if resource.active is False:
            staff.active = False

    def _practitionerrole(self, entry: Entry, row: None, links: Links) -> None:
        target = links.practitioner.get(id(entry))
        if target is None:
            self.summary.skipped_types["PractitionerRole (names no practitioner)"] += 1
            return
        staff: Staff = self._target(target)
        role = mapping.staff_role(entry.resource.code)
        if role:
            staff.role = role
        if staff.phone is None:
            self._set_staff_phone(staff, entry.resource.telecom)
        if staff.email is None:
            self._set_email(staff, mapping.email(entry.resource.telecom))
        self.summary.updated[entry.kind] += 1
        self._found.append((entry.kind, staff))
        self.rows[id(entry)] = staff

    # -- patients and caregivers ------------------------------------------------------

    def _patient(self, entry: Entry, row: Patient | None, links: Links) -> None:
        resource = entry.resource
        patient = self._row(entry, row, Patient)
        patient.name = mapping.person_name(resource.name) or UNNAMED
        patient.birth_date = mapping.fhir_date(resource.birthDate)
        patient.language = mapping.language(resource.communication) or "en"
        numbers, skipped = mapping.phones(resource.telecom, self.region)
        self.summary.skipped_phones += skipped
        kept = {phone.phone_index: phone for phone in (patient.phones if row else [])}
        wanted = []
        for number, use in numbers:
            index = phone_index(number)
            phone = kept.pop(index, None) or PatientPhone(phone=number, phone_index=index)
            phone.use = use
            wanted.append(phone)
        # Numbers the EHR no longer lists (or lists as "old") stop matching: the orphans go.
        self.summary.phones_replaced += len(kept)
        patient.phones = wanted

    def _relatedperson(self, entry: Entry, row: Caregiver | None, links: Links) -> None:
        resource = entry.resource
        caregiver = self._row(entry, row, Caregiver)
        caregiver.patient = self._target(links.patient[id(entry)])
        caregiver.name = mapping.person_name(resource.name) or UNNAMED
        relationship = resource.relationship or []
        caregiver.relationship_text = next(
            (t for t in (mapping.concept_text(c) for c in relationship) if t), None
        )
        number, skipped = mapping.best_phone(resource.telecom, self.region)
        self.summary.skipped_phones += skipped
        index = phone_index(number) if number else None
        if caregiver.phone_index not in (None, index):
            self.summary.phones_replaced += 1
        caregiver.phone, caregiver.phone_index = number, index

    # -- care ---------------------------------------------------------------------------

    def _careteam(self, entry: Entry, row: CareTeam | None, links: Links) -> None:
        resource = entry.resource
        team = self._row(entry, row, CareTeam)
        patient: Patient = self._target(links.patient[id(entry)])
        team.patient, team.name, team.status = patient, resource.name, resource.status
        current = {id(m.staff): m for m in (team.members if row else [])}
        members: list[CareTeamMember] = []
        for member in links.members[id(entry)]:
            staff: Staff = self._target(member.practitioner)
            designated = mapping.is_care_manager(member.roles)
            known = next((m for m in members if m.staff is staff), None)
            if known is not None:  # one person under several roles is one membership
                known.is_care_manager = known.is_care_manager or designated
                continue
            record = current.pop(id(staff), None) or CareTeamMember(staff=staff)
            role = member.roles[0] if member.roles else None
            code = mapping.first_code(role)
            display = mapping.concept_text(role)
            record.role_code = code if code and len(code) <= 64 else None
            record.role_display = display[:256] if display else None
            record.is_care_manager = designated
            members.append(record)
        team.members = members
        designated_staff = next((m.staff for m in members if m.is_care_manager), None)
        if designated_staff is not None and resource.status not in _NOT_CURRENT_TEAM:
            if patient.care_manager is designated_staff:
                return  # already the patient's care manager: nothing set
            patient.care_manager = designated_staff
            if id(patient) not in self._managed:
                self._managed.add(id(patient))
                self.summary.care_managers_set += 1

    def _condition(self, entry: Entry, row: Condition | None, links: Links) -> None:
        resource = entry.resource
        condition = self._row(entry, row, Condition)
        condition.patient = self._target(links.patient[id(entry)])
        code = mapping.first_code(resource.code)
        condition.code = code if code and len(code) <= 64 else None  # never a cut-off code
        condition.text = mapping.concept_text(resource.code)
        condition.clinical_status = mapping.first_code(resource.clinicalStatus)

    # -- the chart: medications, allergies, consent ------------------------------------------

    def _medication(self, entry: Entry, row: Medication | None, links: Links,
                    dosages: list[Any] | None, date: str | None) -> None:
        resource = entry.resource
        medication = self._row(entry, row, Medication)
        medication.kind = _MEDICATION_KIND[entry.kind]
        medication.patient = self._target(links.patient[id(entry)])
        medication.status = resource.status
        medication.text = chart.medication_text(resource)
        medication.code = chart.medication_code(resource)
        named = links.medication.get(id(entry))
        if named is not None and (medication.text is None or medication.code is None):
            self.summary.medications_named += medication.text is None
            medication.text = medication.text or mapping.concept_text(named.code)
            medication.code = medication.code or mapping.first_code(named.code)
        medication.dosage = chart.dosage_text(dosages)
        medication.date = date

    def _medicationrequest(self, entry: Entry, row: Medication | None, links: Links) -> None:
        resource = entry.resource
        self._medication(entry, row, links, resource.dosageInstruction,
                         mapping.fhir_date(resource.authoredOn))

    def _medicationstatement(self, entry: Entry, row: Medication | None, links: Links) -> None:
        resource = entry.resource
        self._medication(entry, row, links, resource.dosage, chart.statement_date(resource))

    def _allergyintolerance(self, entry: Entry, row: Allergy | None, links: Links) -> None:
        resource = entry.resource
        allergy = self._row(entry, row, Allergy)
        allergy.patient = self._target(links.patient[id(entry)])
        allergy.clinical_status = mapping.first_code(resource.clinicalStatus)
        allergy.criticality = resource.criticality
        allergy.substance = chart.allergy_substance(resource)
        allergy.reaction = chart.allergy_reaction(resource)

    def _consent(self, entry: Entry, row: Consent | None, links: Links) -> None:
        resource = entry.resource
        consent = self._row(entry, row, Consent)
        consent.patient = self._target(links.patient[id(entry)])
        consent.status = resource.status
        consent.date = mapping.fhir_date(resource.dateTime)
        consent.method = chart.consent_method(resource)
        consent.obtained_by = chart.consent_obtained_by(resource)
        consent.scope = chart.consent_scope(resource)
        self._disclosures(entry, consent, links)

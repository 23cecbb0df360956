"""All models, importable from one place (Alembic reads ``Base.metadata`` from here)."""

from hub.models.accounts import LoginLimit, StaffSession
from hub.models.attachments import Attachment
from hub.models.audit_review import AuditReview, CcmBilling
from hub.models.base import Base, UTCDateTime, utcnow
from hub.models.calls import Call, CallAttempt
from hub.models.care import (
    CareTeam,
    CareTeamMember,
    Condition,
    PlanRule,
    ReportedReading,
    TriageFeedback,
)
from hub.models.care_time import CareTimeEntry
from hub.models.chart import Allergy, CaregiverDisclosure, Consent, Medication
from hub.models.contacts import Contact, InboundReceipt, Outbound, Page, Timer
from hub.models.duty import Duty
from hub.models.failure import RowFailure
from hub.models.keys import KeyCheck, KeySplit
from hub.models.log import LogEntry, LogHead
from hub.models.media import MediaFetch
from hub.models.opt_out import TextOptOut
from hub.models.outreach import Outreach, OutreachPlan, SendPace
from hub.models.people import Caregiver, Patient, PatientPhone, Staff
from hub.models.plan import CarePlan, CarePlanActivity, CarePlanField, Goal, Prognosis
from hub.models.portal import PortalCode, PortalReply, PortalSession
from hub.models.rotation import Rotation, RotationMember, ScheduleOverride
from hub.models.schedule import ScheduleCalendar, Shift
from hub.models.transition import FhirClient, TransitionAttempt, TransitionTask
from hub.models.watch import EngineHeartbeat, EventTally

__all__ = [
    "Allergy",
    "Attachment",
    "AuditReview",
    "Base",
    "Call",
    "CallAttempt",
    "CarePlan",
    "CarePlanActivity",
    "CarePlanField",
    "CareTeam",
    "CareTeamMember",
    "CareTimeEntry",
    "CcmBilling",
    "Caregiver",
    "CaregiverDisclosure",
    "Condition",
    "Consent",
    "Contact",
    "Duty",
    "FhirClient",
    "EngineHeartbeat",
    "EventTally",
    "Goal",
    "InboundReceipt",
    "KeyCheck",
    "KeySplit",
    "LoginLimit",
    "LogEntry",
    "LogHead",
    "MediaFetch",
    "Medication",
    "Outbound",
    "Outreach",
    "OutreachPlan",
    "Page",
    "Patient",
    "PatientPhone",
    "PlanRule",
    "PortalCode",
    "PortalReply",
    "PortalSession",
    "TriageFeedback",
    "Prognosis",
    "ReportedReading",
    "Rotation",
    "RotationMember",
    "RowFailure",
    "ScheduleCalendar",
    "ScheduleOverride",
    "SendPace",
    "Shift",
    "Staff",
    "StaffSession",
    "TextOptOut",
    "Timer",
    "TransitionAttempt",
    "TransitionTask",
    "UTCDateTime",
    "utcnow",
]

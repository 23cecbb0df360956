"""``--patient``: the one way every command names a patient (the hub id, or Patient/<FHIR id>).

    @patient_option()
    def show_command(given: GivenPatient) -> None:
        with runtime.current().session() as session:
            patient = given.find(session)    # the Patient, or the one usage error

The option is read when the command line is parsed; the patient is looked up inside the
command's own transaction, so the lookup and what the command then reads or writes agree.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from sqlalchemy.orm import Session

from hub import directory
from hub.models import Patient

HINT = "give the hub id, or Patient/<FHIR id>; hub patients lists them"
MAX_LENGTH = 140  # "Patient/" and a FHIR id of up to 128 characters, with room to spare


@dataclass(frozen=True)
class GivenPatient:
    """A patient as given on the command line, not yet looked up."""

    given: str

    def find(self, session: Session) -> Patient:
        """The patient, or a usage error naming ``--patient`` (never the patient's data)."""
        patient = directory.find_patient(session, self.given)
        if patient is None:
            raise click.BadParameter(f"no patient {self.given!r} ({HINT})",
                                     param_hint="'--patient'")
        return patient


class PatientType(click.ParamType):
    """The Click type of every ``--patient`` option."""

    name = "patient"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "ID|Patient/<FHIR id>"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> GivenPatient:
        if isinstance(value, GivenPatient):
            return value
        text = str(value).strip()
        if not text or len(text) > MAX_LENGTH or text == "Patient/":
            self.fail(f"no patient {text[:20]!r} ({HINT})", param, ctx)
        return GivenPatient(text)


PATIENT = PatientType()


def patient_option(required: bool = True,
                   help: str = "the patient: hub id or Patient/<FHIR id> (hub patients lists "
                               "them)") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--patient`` option, passed to the command as ``given`` (a GivenPatient)."""
    return click.option("--patient", "given", type=PATIENT, required=required, help=help)


def actor() -> str:
    """Who ran the command, as the contact log records it."""
    return f"cli:{getpass.getuser()}"

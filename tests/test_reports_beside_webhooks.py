"""Maya reads her reports and exports on the embedded SQLite database while patients text.

SQLite has one writer. A report that read inside a write transaction would make every
webhook behind it wait until it finished; the reports and exports read in a snapshot and
write their access audit in a short transaction of its own afterwards. Each story holds a
report in the middle of its reading while a patient's text arrives from another thread:
the text must be answered and stored before the report goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from hub import care_time, triage_feedback
from hub.cli import cli
from hub.fhir_export import transition
from hub.models import Contact, LogEntry
from hub.reports import access_audit, interruptions, log_filter, response_times
from hub.reports import transitions as transition_report
from tests.conftest import Twilio
from tests.practice import WALTER

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def text_meanwhile(app, rt, monkeypatch):
    """Makes ``module.name`` send a patient's text from another thread while it reads, and
    records whether the text was answered within 5 s (it would wait for the report if the
    report held the write turn)."""
    answered: list[int] = []

    def hold(module: Any, name: str) -> list[int]:
        reading: Callable[..., Any] = getattr(module, name)

        def while_reading(*args: Any, **kwargs: Any) -> Any:
            result = reading(*args, **kwargs)  # inside the report's transaction
            if not answered:
                def patient_texts() -> None:
                    reply = Twilio(app.test_client()).sms(WALTER, "can I get a refill of lasix")
                    answered.append(reply.status_code)

                sender = threading.Thread(target=patient_texts)
                sender.start()
                sender.join(5)
                assert answered == [200], "the text waited for the report's transaction"
            return result

        monkeypatch.setattr(module, name, while_reading)
        return answered

    return hold


def texts_stored(rt) -> int:
    with rt.session() as session:
        return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


@pytest.mark.parametrize(("url", "module", "name"), [
    ("/manager", response_times, "timings"),
    ("/manager/charts/response-times.svg", response_times, "one_measure"),
    ("/manager/charts/interruptions.svg", interruptions, "per_staff"),
    ("/manager/log", log_filter, "page"),
    ("/manager/audit", access_audit, "page"),
    ("/manager/ccm", care_time, "month_totals"),
    ("/manager/transitions", transition_report, "recent"),
])
def test_a_patient_texts_while_maya_reads_a_report_and_is_not_kept_waiting(
        rt, client, maya, text_meanwhile, url, module, name):
    answered = text_meanwhile(module, name)

    page = client.get(url)

    assert page.status_code == 200 and answered == [200]
    assert texts_stored(rt) == 1


def test_maya_s_view_of_the_log_is_still_audited_after_its_reading(rt, client, maya,
                                                                  text_meanwhile):
    text_meanwhile(log_filter, "page")

    assert client.get("/manager/log").status_code == 200

    with rt.session() as session:
        views = session.scalars(select(LogEntry).where(
            LogEntry.event == "access.view_contact_log")).all()
    assert [v.actor for v in views] == [f"staff:{maya.maya.id}"]


@pytest.mark.parametrize(("command", "module", "name"), [
    (["ccm-minutes"], care_time, "month_totals"),
    (["export-transitions"], transition, "resources"),
    (["triage-feedback", "export", "--out", "{tmp}/marks.jsonl"], triage_feedback,
     "labelled_rows"),
])
def test_a_patient_texts_while_an_export_runs_and_is_not_kept_waiting(
        rt, runner, practice, text_meanwhile, tmp_path, command, module, name):
    answered = text_meanwhile(module, name)

    result = runner.invoke(cli, [part.format(tmp=tmp_path) for part in command])

    assert result.exit_code == 0, result.output
    assert answered == [200] and texts_stored(rt) == 1

"""Long reads never hold the line: while a manager's export of the log streams on the
embedded SQLite default, a patient's text is taken and answered at once (the export reads
one snapshot, taking no write lock; its audit entry is a short write after)."""

from __future__ import annotations

import time

from hub import contact_log
from hub.cli import cli
from tests.practice import WALTER

ROSA = "+12025550143"


def test_a_text_arrives_while_the_months_log_is_being_exported(app, rt, twilio, twilio_api,
                                                               practice, monkeypatch):
    twilio.sms(WALTER, "my ankles are swollen again")
    twilio_api.wait_for(1)
    answered: list[tuple[int, float]] = []
    reading = contact_log.entries

    def slow_entries(*args, **kwargs):  # the export, caught half-way through its rows
        for number, row in enumerate(reading(*args, **kwargs)):
            if number == 1:
                started = time.monotonic()
                reply = twilio.sms(ROSA, "necesito mi receta de insulina")
                answered.append((reply.status_code, time.monotonic() - started))
            yield row

    monkeypatch.setattr(contact_log, "entries", slow_entries)
    result = app.test_cli_runner().invoke(cli, ["export-log", "--format", "csv"],
                                          catch_exceptions=False)
    assert result.exit_code == 0
    ((status, seconds),) = answered
    assert status == 200 and seconds < 2  # not the 30 s of a writer waiting on a lock
    monkeypatch.undo()
    exported = app.test_cli_runner().invoke(cli, ["export-log", "--format", "json"]).output
    assert "necesito mi receta" in exported and '"log.exported"' in exported

"""The line watches itself: /readyz tells the operator when no engine pages, and the
self-test tells the managers when nobody could be paged."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import create_app
from hub import heartbeat, readiness
from hub.models import Contact, LogEntry, Outbound, Timer, utcnow
from messages import kick
from messages.engine import tick
from routing.self_test import SELF_TEST_EVERY
from tests.practice import BEN, MAYA, WALTER


def ready(client):
    answer = client.get("/readyz")
    return answer.status_code, answer.get_data(as_text=True)


def test_with_no_engine_anywhere_readyz_says_503_and_why(client, practice):
    status, why = ready(client)

    assert status == 503
    assert "no engine has ever ticked" in why
    assert client.get("/healthz").status_code == 200  # the process itself is fine


def test_after_an_engine_tick_the_line_is_ready(rt, client, practice):
    tick(rt)

    assert ready(client) == (200, "ready\n")


def test_when_the_scheduler_stops_readyz_says_503_within_seconds(
        rt, client, practice, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(readiness, "ENGINE_SILENT_AFTER", timedelta(seconds=1))
    tick(rt)
    assert ready(client)[0] == 200

    time.sleep(1.5)  # the last engine stopped

    status, why = ready(client)
    assert status == 503 and "no engine has ticked for 1 s" in why


def test_a_web_process_with_the_scheduler_on_is_ready_by_itself(settings_for, practice):
    hub = create_app({**settings_for, "HUB_SCHEDULER": "on"})
    try:
        client = hub.test_client()
        deadline = time.monotonic() + 10
        while ready(client)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ready(client) == (200, "ready\n")
    finally:
        hub.extensions["hub.scheduler"].shutdown()
        kick.drain()
        hub.extensions["hub"].engine.dispose()


def test_an_escalation_timer_left_unfired_makes_the_line_not_ready(
        rt, client, twilio, twilio_api, practice):
    twilio.sms(WALTER, "can someone call me back")
    twilio_api.wait_for(1)
    tick(rt)
    assert ready(client)[0] == 200
    with rt.session() as session:  # the step was due two minutes ago and nothing fired it
        session.execute(update(Timer).values(due_at=utcnow() - timedelta(minutes=2)))

    status, why = ready(client)

    assert status == 503
    assert why == "1 escalation timer(s) overdue by more than a minute\n"


def test_a_text_left_unrouted_for_a_minute_makes_the_line_not_ready(
        settings_for, practice):
    # HUB_ENGINE=separate: web processes only take texts in; the engine that beats here
    # never gets to this text (stuck on another row, say).
    hub = create_app({**settings_for, "HUB_ENGINE": "separate"})
    rt = hub.extensions["hub"]
    try:
        from tests.conftest import Twilio

        client = hub.test_client()
        Twilio(client).sms(WALTER, "are you there")
        heartbeat.beat(rt.engine)
        with rt.session() as session:
            session.execute(update(Contact).values(received_at=utcnow() - timedelta(minutes=2)))
            assert session.scalar(select(Contact.status)) == "received"

        status, why = ready(client)
    finally:
        kick.drain()
        rt.engine.dispose()

    assert status == 503
    assert "1 contact(s) waiting for intake for more than a minute" in why


# --- the self-test -------------------------------------------------------------------------

def manager_alerts(rt) -> list[Outbound]:
    with rt.sessions() as session:
        return list(session.scalars(select(Outbound).where(Outbound.kind == "alert")))


def test_with_nobody_on_call_the_self_test_texts_the_manager(rt, staff_only):
    now = utcnow()
    tick(rt, now=now)  # the first tick only schedules the first test

    later = tick(rt, now=now + SELF_TEST_EVERY)
    again = tick(rt, now=now + 2 * SELF_TEST_EVERY)  # the same gap: not told again so soon

    assert (later["self_test_alerts"], again["self_test_alerts"]) == (1, 0)
    (alert,) = manager_alerts(rt)
    assert alert.to_number == MAYA
    assert alert.body.startswith("Care line self-test FAILED: the line cannot page as it "
                                 "should in the next 12 hours: ")
    assert alert.body.endswith("no primary on call. Fix it now (hub coverage).")
    with rt.sessions() as session:
        assert session.scalars(select(LogEntry.event)
                               .where(LogEntry.event == "selftest.failed")).all() \
            == ["selftest.failed"]


def test_with_the_nurse_on_call_but_without_a_phone_the_self_test_fails(rt, practice):
    with rt.session() as session:
        session.merge(practice.ben).phone = None
    now = utcnow()
    tick(rt, now=now)

    assert tick(rt, now=now + SELF_TEST_EVERY)["self_test_alerts"] == 1
    assert "Ben Okafor (primary) has no phone" in manager_alerts(rt)[0].body


def test_with_a_reachable_nurse_on_call_the_self_test_passes_quietly(rt, practice):
    now = utcnow()
    tick(rt, now=now)

    assert tick(rt, now=now + SELF_TEST_EVERY)["self_test_alerts"] == 0
    assert manager_alerts(rt) == []
    assert BEN  # Ben holds primary around now (tests.practice)


def test_a_separate_engine_makes_the_line_ready_and_its_death_unready_within_seconds(
        settings_for, tmp_path, practice):
    import subprocess

    from tests.conftest import HUB_COMMAND, user_env

    settings = {**settings_for, "HUB_ENGINE": "separate"}
    hub = create_app(settings)
    client = hub.test_client()
    scheduler = subprocess.Popen([HUB_COMMAND, "scheduler"], cwd=tmp_path,
                                 env=user_env(tmp_path, **settings),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while ready(client)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ready(client) == (200, "ready\n")

        scheduler.kill()  # SIGKILL: no goodbye written anywhere
        scheduler.wait(timeout=10)
        killed = time.monotonic()
        while ready(client)[0] == 200 and time.monotonic() - killed < 30:
            time.sleep(0.5)
        unready_after = time.monotonic() - killed
        status, why = ready(client)
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
        hub.extensions["hub"].engine.dispose()

    assert status == 503 and "no engine has ticked for" in why
    assert unready_after <= readiness.ENGINE_SILENT_AFTER.total_seconds() + 2

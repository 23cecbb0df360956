"""A storm of texts does not bury the nurse: 5 SMS per 15 minutes, then one bundle.

A patient's family texts again and again through the night; each text is a contact and
each is paged. Ben, on call, gets five SMS pages; the next ones wait for the window to have
room, and the last SMS it allows names every page still waiting with its ACK code. No
contact is dropped: escalation runs on its own timers, and ``ACK ALL`` takes every open page
at once.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hub import outbox
from hub.models import Contact, Outbound, Shift, utcnow
from messages import texts
from routing.policy import PolicyError, SmsLimit, parse_policy
from tests.practice import BEN, MAYA, WALTER
from tests.test_core_line import later, tick_after

STORM = 12
LIMIT = 5  # the default: 5 SMS per person in 15 minutes
DAY = timedelta(days=1)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """Steps 30 minutes apart: longer than the limit's window, so the bundle shows alone."""
    path = tmp_path / "escalation.toml"
    path.write_text(
        '[[steps]]\ntargets = ["continuity"]\nchannels = ["sms"]\nwait_minutes = 30\n'
        '[[steps]]\ntargets = ["backup"]\nchannels = ["sms"]\nwait_minutes = 30\n')
    return path


def _storm(twilio) -> None:  # type: ignore[no-untyped-def]
    for i in range(STORM):
        twilio.sms(WALTER, f"please call me back about my refill, message {i + 1}")


def _statuses(rt, staff_id: int) -> Counter[str]:  # type: ignore[no-untyped-def]
    with rt.sessions() as session:
        return Counter(session.scalars(select(Outbound.status).where(
            Outbound.staff_id == staff_id, Outbound.kind == "page")))


def test_the_sixth_page_in_fifteen_minutes_waits_then_the_rest_arrive_in_one_bundle(
        rt, twilio, twilio_api, practice):
    _storm(twilio)
    assert len(twilio_api.sent_to(BEN)) == LIMIT
    assert _statuses(rt, practice.ben.id) == {"sent": 5, "pending": STORM - 5}

    tick_after(rt, 10)  # still inside the window: nothing more for Ben
    assert len(twilio_api.sent_to(BEN)) == LIMIT

    tick_after(rt, 16)  # the first five left the window: room for five more SMS
    later = twilio_api.sent_to(BEN)[LIMIT:]
    assert len(later) == LIMIT
    bundles = [r.form["Body"] for r in later if r.form["Body"].startswith("Care line: ")]
    assert len(bundles) == 1, "four pages, then one SMS for the three left"
    assert bundles[0].startswith("Care line: 3 pages for you")
    assert "Reply ACK ALL" in bundles[0] and "/staff" in bundles[0]
    assert len(re.findall(r"ACK \d{4}", bundles[0])) == 3
    assert "refill" not in bundles[0] and "Walter" not in bundles[0]
    assert _statuses(rt, practice.ben.id) == {"sent": 9, "bundled": 3}


def test_after_a_storm_of_a_hundred_and_twenty_the_reopened_window_carries_every_page(
        rt, twilio, twilio_api, practice):
    """More pages wait than one engine pass takes (100): the bundle still names them all,
    rather than leaving the rest for another fifteen minutes."""
    for i in range(120):  # routine texts (the second opinion pages a bare "storm message 6")
        twilio.sms(WALTER, f"please call me back about my refill, message {i + 1}")
    assert len(twilio_api.sent_to(BEN)) == LIMIT
    tick_after(rt, 16)
    later = twilio_api.sent_to(BEN)[LIMIT:]
    (bundle,) = [r.form["Body"] for r in later if r.form["Body"].startswith("Care line: ")]
    assert bundle.startswith("Care line: 111 pages for you")  # 120 - 5 sent - 4 singles
    assert _statuses(rt, practice.ben.id) == {"sent": 9, "bundled": 111}


def test_no_contact_waits_on_the_limit_the_backup_is_paged_on_time(rt, twilio, twilio_api,
                                                                   practice):
    _storm(twilio)
    tick_after(rt, 30.1)  # the policy's wait is 30 minutes: every contact goes to the backup
    with rt.sessions() as session:
        steps = set(session.scalars(select(Contact.escalation_step)))
    assert steps == {1}
    # Twelve pages for Maya at the same moment: four SMS, then one naming the other eight.
    to_maya = twilio_api.sent_to(MAYA)
    assert len(to_maya) == LIMIT
    (bundle,) = [r.form["Body"] for r in to_maya if r.form["Body"].startswith("Care line: ")]
    assert bundle.startswith(f"Care line: {STORM - 4} pages for you")
    assert len(re.findall(r"ACK \d{4}", bundle)) == 8


def test_a_contact_paged_again_while_its_first_page_waits_is_named_once(
        rt, twilio, twilio_api, practice):
    """Ben holds backup too, so the second step pages him again about contacts whose first
    page is still held: when the window has room, each contact reaches him once (the bundle
    listed some twice and counted every page row)."""
    with rt.session() as session:
        session.add(Shift(staff_id=practice.ben.id, layer="backup", starts_at=utcnow() - DAY,
                          ends_at=utcnow() + DAY, source_key="test/ben/backup"))
    _storm(twilio)

    tick_after(rt, 30.1)  # the held first pages are due, and the second step pages Ben again

    later = [r.form["Body"] for r in twilio_api.sent_to(BEN)[LIMIT:]]
    assert len(later) == LIMIT
    (bundle,) = [body for body in later if body.startswith("Care line: ")]
    assert bundle.startswith("Care line: 8 pages for you: "), bundle
    assert "more in the inbox" not in bundle
    codes = [code for body in later for code in re.findall(r"ACK (\d{4})", body)]
    assert len(codes) == len(set(codes)) == STORM, "each contact once, every one named"
    assert _statuses(rt, practice.ben.id) == {"sent": 5 + 4, "bundled": 8 + 7}


def test_ack_all_takes_every_open_page_and_the_held_ones_are_never_sent(rt, twilio, twilio_api,
                                                                       practice):
    _storm(twilio)
    reply = twilio.sms(BEN, "ack all")
    assert f"Acknowledged {STORM}:" in reply.text
    tick_after(rt, 16)
    assert len(twilio_api.sent_to(BEN)) == LIMIT
    assert twilio_api.sent_to(MAYA) == []
    assert _statuses(rt, practice.ben.id) == {"sent": 5, "cancelled": STORM - 5}
    with rt.sessions() as session:
        assert set(session.scalars(select(Contact.status))) == {"acknowledged"}


def test_a_bundle_that_cannot_be_delivered_moves_each_of_its_contacts_on(rt, twilio, twilio_api,
                                                                        practice):
    _storm(twilio)
    twilio_api.fail_next(400, code=21614, times=LIMIT)  # Ben's number is a landline now
    tick_after(rt, 16)  # four pages and a bundle of three: all refused
    with rt.sessions() as session:
        bundle = session.scalars(select(Outbound).where(Outbound.kind == "bundle")).one()
        assert bundle.status == "failed"
    tick_after(rt, 16.1)  # the calls go out; the bundle's other contacts came forward
    calls = [r for r in twilio_api.sent_to(BEN) if r.resource == "Calls"]
    # Called instead once per refused SMS, not once per page; due together, the five calls
    # ring once, naming the five contacts (messages.page_calls).
    assert len(calls) == 1 and "/twilio/page-bundle-call/" in calls[0].form["Url"]
    with rt.sessions() as session:
        carried = session.scalars(select(Outbound.contact_id).where(
            Outbound.channel == "call", Outbound.kind == "page",
            Outbound.bundle_id.is_not(None))).all()
    assert len(set(carried)) == LIMIT
    with rt.sessions() as session:
        steps = Counter(session.scalars(select(Contact.escalation_step)))
    assert steps == {0: 5 + 4 + 1, 1: 2}
    assert any("Ben" in r.form.get("Body", "") for r in twilio_api.sent_to(MAYA))  # the alert


def test_the_managers_alerts_wait_for_room_in_her_window_and_go_out_bundled(
        rt, twilio, twilio_api, practice):
    """Maya, the backup and the manager, has just had her five SMS of the storm when seven
    alerts come for her (numbers that refuse pages): they wait for her window like pages,
    then four go out alone and the fifth SMS carries the other three."""
    _storm(twilio)
    tick_after(rt, 30.1)  # the backup step: four pages and a bundle for Maya
    assert len(twilio_api.sent_to(MAYA)) == LIMIT
    with rt.sessions.begin() as session:
        for i in range(7):
            outbox.alert_managers(session, texts.staff_number_broken(
                f"Nurse {i + 1}", "sms", 21614, True), later(31))
    tick_after(rt, 31)
    assert len(twilio_api.sent_to(MAYA)) == LIMIT, "the alerts are held by her full window"
    with rt.sessions() as session:
        held = session.scalars(select(Outbound).where(Outbound.kind == "alert")).all()
        assert {row.status for row in held} == {"pending"}

    tick_after(rt, 46)  # her first five SMS left the window
    later_sms = [r.form["Body"] for r in twilio_api.sent_to(MAYA)[LIMIT:]]
    assert len(later_sms) == LIMIT
    (bundle,) = [body for body in later_sms if "3 alert(s)" in body]
    assert bundle.startswith("Care line: 3 alert(s): ")
    assert sum(f"Nurse {i}'s number" in body for body in later_sms for i in range(1, 8)) == 7
    assert _statuses_of_alerts(rt) == {"sent": 4, "bundled": 3}


def _statuses_of_alerts(rt) -> Counter[str]:  # type: ignore[no-untyped-def]
    with rt.sessions() as session:
        return Counter(session.scalars(select(Outbound.status).where(Outbound.kind == "alert")))


def test_a_practice_sets_its_own_limit_and_a_bad_one_is_refused():
    steps = '[[steps]]\ntargets = ["primary"]\nwait_minutes = 5\n'
    policy = parse_policy("[limits]\nsms_per_person = 10\nwindow_minutes = 30\n" + steps)
    assert policy.sms_limit == SmsLimit(10, timedelta(minutes=30))
    assert parse_policy(steps).sms_limit == SmsLimit(LIMIT, timedelta(minutes=15))
    with pytest.raises(PolicyError, match="sms_per_person"):
        parse_policy("[limits]\nsms_per_person = 0\n" + steps)

"""The database goes away in the night: texts, calls and status callbacks are still answered
with the emergency guidance, kept encrypted on the host's disk, and taken in once and in order
when it answers again, then paged."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from config.settings import SettingError, load_settings
from hub import db
from hub.db import make_engine, make_session_factory
from hub.models import Call, Contact, LogEntry, Outbound, Page
from messages.engine import tick
from messages.spool_intake import take_in
from tests.practice import BEN, LENA, ROSA, WALTER

FALLBACK = "+12025550177"


@contextmanager
def database_down(rt, port: int = 1) -> Iterator[None]:
    """The database stops answering: every connection is refused (a closed port), as when
    PostgreSQL is down, or (``port`` of a silent listener) never answered; then it is back."""
    engine, sessions = rt.engine, rt.sessions
    dead = make_engine(f"postgresql+psycopg://hub@127.0.0.1:{port}/hub")
    rt.engine, rt.sessions = dead, make_session_factory(dead)
    try:
        yield
    finally:
        rt.engine, rt.sessions = engine, sessions
        dead.dispose()


def spooled(rt) -> list[bytes]:
    folder = rt.settings.spool_dir
    return [p.read_bytes() for p in sorted(folder.glob("*.req"))] if folder.exists() else []


def sms_sid() -> str:
    return "SM" + uuid.uuid4().hex


def contacts(rt) -> list[Contact]:
    with rt.sessions() as session:
        return list(session.scalars(select(Contact).order_by(Contact.id)))


def test_texts_while_the_database_is_down_are_answered_kept_and_paged_in_order_when_it_returns(
        rt, twilio, twilio_api, practice):
    first, second = sms_sid(), sms_sid()
    with database_down(rt):
        answer = twilio.sms(WALTER, "my chest feels tight tonight", sid=first)
        retry = twilio.sms(WALTER, "my chest feels tight tonight", sid=first)
        twilio.sms(LENA, "Dad is confused and short of breath", sid=second)
        assert take_in(rt) == 0  # still down: everything stays on the spool

    assert answer.status_code == 200 and retry.text == answer.text
    assert "call 911" in answer.text and "988" in answer.text and "saved" in answer.text
    kept = spooled(rt)
    assert len(kept) == 2  # the retry is kept once
    for raw in kept:
        for secret in (WALTER, "2025550142", LENA, "2025550150", "chest", "confused"):
            assert secret.encode() not in raw
    assert twilio_api.requests == [] and contacts(rt) == []

    assert tick(rt)["kept"] == 2
    taken = contacts(rt)
    assert [c.provider_sid for c in taken] == [first, second]
    assert [c.body for c in taken] == ["my chest feels tight tonight",
                                       "Dad is confused and short of breath"]
    assert taken[0].received_at < taken[1].received_at  # when they arrived, not when taken in
    assert {c.status for c in taken} == {"paging"}
    assert {r.form["To"] for r in twilio_api.wait_for(2)} == {BEN}  # the nurse is paged
    assert spooled(rt) == []
    tick(rt)
    assert len(contacts(rt)) == 2
    with rt.sessions() as session:
        (entry,) = session.scalars(select(LogEntry).where(LogEntry.event == "spool.taken_in"))
        assert '"taken_in": 2' in entry.detail


def test_a_web_worker_without_a_tick_takes_in_its_spool_once_a_webhook_gets_through(
        rt, twilio, twilio_api, practice):
    assert not rt.settings.scheduler  # as with HUB_ENGINE=separate: no tick in this process
    with database_down(rt):
        twilio.sms(WALTER, "my chest feels tight tonight")
    assert twilio.sms(ROSA, "necesito una receta").status_code == 200  # the database is back
    assert spooled(rt) == []
    assert [c.body for c in contacts(rt)] == ["necesito una receta",
                                             "my chest feels tight tonight"]


def test_a_database_that_hangs_still_lets_a_text_be_answered_within_twilios_wait(
        rt, twilio, practice, monkeypatch):
    monkeypatch.setattr(db, "CONNECT_TIMEOUT", 2)
    with socket.create_server(("127.0.0.1", 0), backlog=8) as silent, \
            database_down(rt, port=silent.getsockname()[1]):
        started = time.monotonic()
        answer = twilio.sms(WALTER, "my chest feels tight tonight")
        waited = time.monotonic() - started
    assert answer.status_code == 200 and "call 911" in answer.text
    assert waited < 10 and len(spooled(rt)) == 1
    tick(rt)
    assert len(contacts(rt)) == 1


def test_a_retry_in_the_database_and_a_drain_cut_short_make_no_second_contact(
        rt, twilio, twilio_api, practice, tmp_path):
    sid = sms_sid()
    with database_down(rt):
        twilio.sms(WALTER, "my ankles are swollen again", sid=sid)
    (kept,) = rt.settings.spool_dir.glob("*.req")
    shutil.copy(kept, tmp_path / kept.name)
    # Twilio's retry of the same message reaches the database first (another host took it);
    # once a webhook gets through, this host's spool is taken in too.
    assert twilio.sms(WALTER, "my ankles are swollen again", sid=sid).status_code == 200
    tick(rt)
    assert len(contacts(rt)) == 1 and spooled(rt) == []
    # A drain killed after its commit, before it removed the file: the file is there again.
    shutil.copy(tmp_path / kept.name, kept)
    assert tick(rt)["kept"] == 1
    assert len(contacts(rt)) == 1 and spooled(rt) == []
    with rt.sessions() as session:
        assert len(session.scalars(select(Page)).all()) == 1


def test_a_call_while_the_database_is_down_reaches_the_fallback_and_is_paged_after(
        rt, phone, twilio_api, practice):
    rt.settings = replace(rt.settings, fallback_number=FALLBACK)
    walter = phone(WALTER)
    with database_down(rt):
        answer = walter.call()
        assert "911" in answer.said and "988" in answer.said
        assert answer.dialled == [FALLBACK]
        assert "Goodbye" in walter.record().said  # the fallback did not answer: a voicemail
    assert len(spooled(rt)) == 2

    tick(rt)
    (contact,) = contacts(rt)
    assert contact.channel == "voice" and contact.provider_sid == walter.call_sid
    assert contact.patient_id == practice.walter.id and contact.status == "paging"
    with rt.sessions() as session:
        call = session.scalars(select(Call)).one()
        assert call.recording_url and call.recording_url.startswith("https://api.twilio.com/")
    assert twilio_api.wait_for(1)[0].form["To"] == BEN
    assert spooled(rt) == []


def test_a_delivery_status_while_the_database_is_down_is_applied_when_it_returns(
        rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "question about my inhaler")
    twilio_api.wait_for(1)
    with rt.sessions() as session:
        page_sid = session.scalars(select(Outbound.provider_sid)).one()
    with database_down(rt):
        assert twilio.status(page_sid, "sent").status_code == 204
        assert twilio.status(page_sid, "delivered").status_code == 204
    assert len(spooled(rt)) == 2  # two statuses of one message: two requests
    assert tick(rt)["kept"] == 2
    with rt.sessions() as session:
        assert session.scalars(select(Outbound.status)).one() == "delivered"


def test_a_full_spool_still_answers_with_the_guidance_and_reports_the_loss(
        rt, twilio, twilio_api, practice, caplog):
    caplog.set_level(logging.WARNING)
    with database_down(rt):
        answers = [twilio.sms(WALTER, "text number 0 about my chest")]
        (kept,) = rt.settings.spool_dir.glob("*.req")
        rt.settings = replace(rt.settings, spool_max_bytes=kept.stat().st_size + 100)
        answers += [twilio.sms(WALTER, f"text number {n} about my chest") for n in (1, 2)]
    assert all(a.status_code == 200 and "call 911" in a.text for a in answers)
    assert len(spooled(rt)) == 1
    assert caplog.text.count("NOT kept") == 2
    assert WALTER not in caplog.text and "chest" not in caplog.text

    caplog.clear()
    assert tick(rt)["kept"] == 1
    assert "2 webhooks were lost" in caplog.text
    with rt.sessions() as session:
        (entry,) = session.scalars(select(LogEntry).where(LogEntry.event == "spool.taken_in"))
        assert '"lost_while_full": 2' in entry.detail
    assert rt.spool().lost() == 0


def test_a_stop_while_the_database_is_down_gets_no_reply_and_is_recorded_after(
        rt, twilio, practice):
    with database_down(rt):
        answer = twilio.sms(WALTER, "STOP")
    assert "<Message>" not in answer.text  # Twilio confirms STOP itself
    tick(rt)
    with rt.sessions() as session:
        assert session.scalars(select(LogEntry).where(LogEntry.event == "sms.opted_out")).all()


def test_a_nurses_ack_while_the_database_is_down_acknowledges_when_it_returns(
        rt, twilio, twilio_api, practice):
    twilio.sms(WALTER, "question about my inhaler")
    twilio_api.wait_for(1)
    with database_down(rt):
        assert "911" in twilio.sms(BEN, "ACK").text  # the line cannot tell who she is yet
    tick(rt)
    (contact,) = contacts(rt)
    assert contact.status == "acknowledged" and contact.acknowledged_by_id == practice.ben.id


def test_a_kept_request_no_key_reads_is_set_aside_and_the_rest_taken_in(
        rt, twilio, practice, caplog):
    with database_down(rt):
        twilio.sms(WALTER, "my ankles are swollen again")
    folder = rt.settings.spool_dir
    (kept,) = folder.glob("*.req")
    # An older request, sealed under a key since taken out of HUB_ENCRYPTION_KEYS.
    foreign = folder / "00000000000000000001-sms-SM0000.req"
    foreign.write_bytes(Fernet(Fernet.generate_key()).encrypt(b'{"kind": "sms"}'))
    assert tick(rt)["kept"] == 1
    assert len(contacts(rt)) == 1 and spooled(rt) == []
    assert (folder / "failed" / foreign.name).exists()
    assert "set aside" in caplog.text


def test_while_another_process_drains_the_spool_this_one_takes_nothing(rt, twilio, practice):
    with database_down(rt):
        twilio.sms(WALTER, "my chest feels tight tonight")
    lock = rt.settings.spool_dir / ".drain.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys\n"
         f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\nsys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert take_in(rt) == 0 and len(spooled(rt)) == 1
    finally:
        holder.communicate("")
    assert take_in(rt) == 1 and len(contacts(rt)) == 1


def test_the_spool_size_setting_is_checked(tmp_path):
    with pytest.raises(SettingError, match="HUB_SPOOL_MAX_MB"):
        load_settings({"HUB_SPOOL_MAX_MB": "lots", "HUB_INSTANCE_DIR": str(tmp_path)})
    settings = load_settings({"HUB_INSTANCE_DIR": str(tmp_path)})
    assert settings.spool_dir == tmp_path / "spool"

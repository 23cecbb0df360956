"""The phone index and the log's MAC each have their own key, derived from HUB_INDEX_KEY with
HKDF; a database written before the split still finds its patients and verifies afterwards."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from alembic import command
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import func, select

from app import create_app
from config.settings import SettingError
from hub import contact_log, crypto, db, log_anchor, opt_outs
from hub.cli import cli
from hub.models import Contact, KeySplit, LogEntry, LogHead, PatientPhone, utcnow
from hub.phones import phone_index
from tests.conftest import Twilio
from tests.practice import LENA, ROSA, WALTER, seed

# The labels are part of the stored data's meaning: changing one orphans every keyed hash.
INDEX_LABEL = b"careline-hub keyed-hash index v1"
LOG_LABEL = b"careline-hub contact log mac v1"


def derived(master: str, label: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=label).derive(master.encode())


def keyed(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def test_phone_lookups_and_the_log_chain_each_have_their_own_derived_key(rt, practice, keys):
    master = keys["HUB_INDEX_KEY"]
    index_key, log_key = derived(master, INDEX_LABEL), derived(master, LOG_LABEL)
    assert index_key != log_key
    with rt.sessions() as session:
        stored = session.scalar(select(PatientPhone.phone_index)
                                .where(PatientPhone.patient_id == practice.walter.id))
    assert stored == keyed(index_key, WALTER.encode())
    assert stored != keyed(master.encode(), WALTER.encode())
    assert rt.cipher.mac(b"a message") == keyed(log_key, b"a message")
    assert rt.cipher.mac(WALTER.encode()) != stored


def _database_from_before_the_split(database_url, cipher, folder):
    """The schema and data of a hub that ran before migration 0017: every keyed hash and MAC
    under HUB_INDEX_KEY itself, a STOP, and a checkpoint of its log taken then (seeded with
    today's models, then the schema taken back to before 0017: the rows stay)."""
    crypto.install(cipher.undivided())
    engine = db.make_engine(database_url)
    try:
        with engine.begin() as conn, db.make_session_factory(engine)(bind=conn) as session:
            practice = seed(session)
            opt_outs.record(session, phone_index(ROSA), True, "STOP", utcnow())
            for n in range(3):
                contact_log.append(session, "test.before_the_split", detail={"n": n})
            session.commit()
            seq, mac = session.execute(select(LogHead.seq, LogHead.mac)).one()
        log_anchor.append(folder, log_anchor.Checkpoint(seq, mac, utcnow()))
    finally:
        engine.dispose()
    command.downgrade(db.alembic_config(database_url), "0016")
    return practice, seq


def test_a_database_from_before_the_split_still_finds_patients_and_verifies_after_upgrade(
        database_url, settings_for, cipher, tmp_path, twilio_api):
    folder = tmp_path / "instance" / "log-checkpoints"
    practice, head_before = _database_from_before_the_split(database_url, cipher, folder)

    app = create_app(settings_for)  # upgrades the schema, then moves the keyed hashes once
    rt = app.extensions["hub"]
    try:
        twilio = Twilio(app.test_client())
        assert twilio.sms(WALTER, "my ankles are swollen again").status_code == 200
        assert twilio.sms(LENA, "dad is short of breath").status_code == 200
        with rt.sessions() as session:
            contacts = session.scalars(select(Contact).order_by(Contact.id)).all()
            assert [(c.match, c.patient_id) for c in contacts] == [
                ("patient", practice.walter.id), ("caregiver", practice.walter.id)]
            assert opt_outs.opted_out(session, [phone_index(ROSA)]) == {phone_index(ROSA)}
            split = session.get(KeySplit, 1)
            assert split is not None and split.log_undivided_until == head_before

        verified = app.test_cli_runner().invoke(cli, ["verify-log"])
        assert verified.exit_code == 0, verified.output
        assert "checkpoint of" in verified.output  # the one taken before the split still holds

        again = create_app(settings_for)  # a second process: nothing left to move
        with rt.sessions() as session:
            assert session.scalar(select(func.count()).select_from(LogEntry)
                                  .where(LogEntry.event == "keys.split")) == 1
        again.extensions["hub"].engine.dispose()
    finally:
        rt.engine.dispose()


def test_a_wrong_index_key_on_a_database_from_before_the_split_moves_nothing(
        database_url, settings_for, cipher, tmp_path):
    _database_from_before_the_split(database_url, cipher, tmp_path / "checkpoints")
    with pytest.raises(SettingError, match="HUB_INDEX_KEY"):
        create_app({**settings_for, "HUB_INDEX_KEY": "another-index-key-0123456789"})
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(KeySplit.split_at)) is None  # still pending
    finally:
        engine.dispose()

"""The contact log's chain holds, and names the first entry anyone altered."""

from __future__ import annotations

from sqlalchemy import text

from hub import contact_log


def test_a_chain_of_entries_verifies(session):
    for n in range(5):
        contact_log.append(session, "test.event", detail={"n": n, "text": "chest pain"})
    session.commit()
    checked, broken = contact_log.verify(session)
    assert (checked, broken) == (5, None)


def test_an_altered_entry_is_named(session, cipher):
    for n in range(4):
        contact_log.append(session, "test.event", detail={"n": n})
    session.commit()
    forged = cipher.encrypt('{"n": 99}')
    session.execute(text("UPDATE log_entries SET detail = :d WHERE seq = 3"), {"d": forged})
    session.commit()
    checked, broken = contact_log.verify(session)
    assert checked == 2
    assert broken is not None and broken.seq == 3


def test_a_deleted_last_entry_is_noticed(session):
    for n in range(3):
        contact_log.append(session, "test.event", detail={"n": n})
    session.commit()
    session.execute(text("DELETE FROM log_entries WHERE seq = 3"))
    session.commit()
    checked, broken = contact_log.verify(session)
    assert broken is not None and broken.seq == 3

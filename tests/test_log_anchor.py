"""The log's tail is anchored outside the database: the engine checkpoints the head to a file
(and syslog), and ``hub verify-log`` reads the log in one snapshot and holds it against the
last checkpoint, so an intruder who deletes the last entries and sets the head back is caught.
"""

from __future__ import annotations

import socket
from datetime import timedelta

from sqlalchemy import event, select, text

from app import create_app
from hub import contact_log, log_anchor
from hub.cli import cli
from hub.models import LogHead, utcnow
from messages.engine import tick


def hub(app, *args: str):
    return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)


def night_of_entries(rt, count: int) -> None:
    with rt.session() as session:
        contact_log.append_all(session.connection(), [
            contact_log.Entry("test.event", detail={"n": n}) for n in range(count)])


def head(rt) -> tuple[int, str]:
    with rt.sessions() as session:
        seq, mac = session.execute(select(LogHead.seq, LogHead.mac)).one()
    return seq, mac


def checkpoint_lines(rt) -> list[str]:
    path = rt.settings.log_checkpoint_dir / log_anchor.FILE_NAME
    return path.read_text().splitlines() if path.exists() else []


def test_the_engine_checkpoints_the_head_every_few_minutes_once_it_has_moved(rt):
    night_of_entries(rt, 3)
    now = utcnow()
    assert tick(rt, now)["checkpoints"] == 1
    seq, mac = head(rt)
    assert checkpoint_lines(rt) == [f"{seq} {mac} {now:%Y-%m-%dT%H:%M:%SZ}"]

    assert tick(rt, now + timedelta(seconds=1))["checkpoints"] == 0  # not due yet
    assert tick(rt, now + timedelta(minutes=6))["checkpoints"] == 0  # due, but nothing moved
    night_of_entries(rt, 1)
    assert tick(rt, now + timedelta(minutes=7))["checkpoints"] == 0  # looked a minute ago
    later = now + timedelta(minutes=12)
    assert tick(rt, later)["checkpoints"] == 1
    assert len(checkpoint_lines(rt)) == 2
    assert log_anchor.last(rt.settings.log_checkpoint_dir) == log_anchor.Checkpoint(
        seq + 1, head(rt)[1], later.replace(microsecond=0))


def test_a_checkpoint_also_goes_to_syslog_when_a_setting_names_it(settings_for):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(10)
    address = f"127.0.0.1:{listener.getsockname()[1]}"
    app = create_app({**settings_for, "HUB_LOG_CHECKPOINT_SYSLOG": address})
    rt = app.extensions["hub"]
    try:
        night_of_entries(rt, 2)
        assert tick(rt)["checkpoints"] == 1
        received = listener.recv(4096).decode()
        seq, mac = head(rt)
    finally:
        listener.close()
        rt.engine.dispose()
    assert f"careline-hub: log checkpoint {seq} {mac} " in received


def test_deleting_the_last_entries_with_the_head_is_caught_against_the_checkpoint(
        app, rt, caplog):
    night_of_entries(rt, 140)
    checked_at = utcnow()
    assert tick(rt, checked_at)["checkpoints"] == 1
    with rt.engine.begin() as conn:  # the intruder: no key needed to cut the tail
        conn.execute(text("DELETE FROM log_entries WHERE seq > 100"))
        conn.execute(text("UPDATE log_head SET seq = 100, "
                          "mac = (SELECT mac FROM log_entries WHERE seq = 100) WHERE id = 1"))

    chain_only = hub(app, "verify-log", "--no-checkpoint")
    assert chain_only.exit_code == 0, chain_only.output  # what the chain alone cannot see

    result = hub(app, "verify-log")
    assert result.exit_code == 1
    assert (f"entries 101-140 missing after checkpoint of {checked_at:%Y-%m-%d %H:%M} UTC"
            in result.output), result.output

    # The line carries on and the seqs are taken again: the entry the checkpoint saw differs,
    # and the engine writes no checkpoint that would hide it.
    night_of_entries(rt, 60)
    assert tick(rt, checked_at + timedelta(minutes=10))["checkpoints"] == 0
    assert any("the log no longer holds entry 140" in r.getMessage() for r in caplog.records)
    result = hub(app, "verify-log")
    assert result.exit_code == 1
    assert "entry 140 is not the one the checkpoint of" in result.output, result.output


def test_verify_log_names_the_checkpoint_it_held_the_log_against(app, rt, tmp_path):
    night_of_entries(rt, 4)
    tick(rt)
    result = hub(app, "verify-log")
    assert result.exit_code == 0, result.output
    assert "4 entries verified" in result.output and "checkpoint of" in result.output

    elsewhere = hub(app, "verify-log", "--checkpoints", str(tmp_path / "empty"))
    assert elsewhere.exit_code == 0
    assert "no checkpoint in" in elsewhere.output


def test_verify_reads_entries_and_head_in_one_snapshot_while_the_line_keeps_writing(app, rt):
    night_of_entries(rt, 5)
    appended = []

    def append_meanwhile(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        # Between verify's read of the entries and its read of the head, a text comes in.
        if "FROM log_head" in statement and "FOR UPDATE" not in statement and not appended:
            appended.append(True)
            with rt.engine.begin() as other:
                contact_log.append_to(other, "test.meanwhile")

    event.listen(rt.engine, "before_cursor_execute", append_meanwhile)
    try:
        result = hub(app, "verify-log", "--no-checkpoint")
    finally:
        event.remove(rt.engine, "before_cursor_execute", append_meanwhile)
    assert appended
    assert result.exit_code == 0, result.output
    assert "5 entries verified" in result.output
    assert "6 entries verified" in hub(app, "verify-log").output


def test_a_checkpoint_folder_that_cannot_be_written_never_stops_the_engine(
        settings_for, tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    app = create_app({**settings_for, "HUB_LOG_CHECKPOINT_DIR": str(blocked / "checkpoints")})
    rt = app.extensions["hub"]
    try:
        night_of_entries(rt, 2)
        assert tick(rt)["checkpoints"] == 0
    finally:
        rt.engine.dispose()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors and errors[0].startswith("HUB_LOG_CHECKPOINT_DIR: cannot write")

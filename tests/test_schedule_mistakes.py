"""The manager's slips with the schedule commands are refused in one line, never kept as a
change that changes nothing, and an id once quoted keeps naming the same change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.models import ScheduleOverride
from tests.test_rotations import events, hub, nights


@pytest.fixture
def clinic(staff_only):
    """The small practice with its calendar shifts taken away."""
    return staff_only


def test_a_rotation_naming_the_same_member_twice_is_refused(rt, runner, clinic):
    result = hub(runner, "rotation", "add", "nights", "ben@clinic.test", "nora@clinic.test",
                 "BEN@clinic.test", "--start", "2026-03-07")

    assert result.exit_code == 2, result.output
    assert "Invalid value for 'EMAIL': BEN@clinic.test names Ben Okafor again" in result.output
    assert hub(runner, "rotation", "list").output == "no rotations\n"


def test_an_override_for_an_unknown_layer_is_refused_like_a_swaps(rt, runner, clinic):
    nights(runner)
    layer_typo = "the layer 'nigths' is held by no rotation, calendar shift or policy target"

    override = hub(runner, "override", "add", "add", "--by", "maya@clinic.test", "--layer",
                   "nigths", "--from", "2026-03-07 18:00", "--until", "2026-03-07 23:00")
    cover = hub(runner, "override", "add", "replace", "--by", "maya@clinic.test", "--for",
                "ben@clinic.test", "--layer", "nigths", "--from", "2026-03-07 18:00",
                "--until", "2026-03-07 23:00")
    swap = hub(runner, "swap", "add", "ben@clinic.test", "2026-03-07 12:00",
               "nora@clinic.test", "2026-03-08 12:00", "--layer", "nigths")

    for refused in (override, cover, swap):
        assert refused.exit_code == 2, refused.output
        assert f"Invalid value for '--layer': {layer_typo}" in refused.output
        assert "(known: backup, primary)" in refused.output
    with rt.sessions() as session:
        assert session.scalars(select(ScheduleOverride)).all() == []
    # A layer the schedule holds is taken, as before.
    assert hub(runner, "override", "add", "add", "--by", "maya@clinic.test", "--layer",
               "backup", "--from", "2026-03-07 18:00", "--until",
               "2026-03-07 23:00").exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["remove", "--by", "maya@clinic.test", "--for", "ben@clinic.test"],
     "remove takes --for off call and no one on: --by has no place here"),
    (["add", "--by", "maya@clinic.test", "--for", "ben@clinic.test", "--layer", "primary"],
     "add puts --by on call beside whoever is: --for has no place here"),
])
def test_an_option_the_kind_of_override_ignores_is_refused_not_dropped(
        rt, runner, clinic, args, message):
    nights(runner)

    result = hub(runner, "override", "add", *args, "--from", "2026-03-07 18:00",
                 "--until", "2026-03-07 23:00")

    assert result.exit_code == 2, result.output
    assert message in result.output
    with rt.sessions() as session:
        assert session.scalars(select(ScheduleOverride)).all() == []


def test_an_id_quoted_in_an_email_never_comes_back_for_another_change(rt, runner, clinic):
    """SQLite handed a deleted row's id to the next one: 'override #2' in last week's
    e-mail would have named a different cover once #2 was removed and another added."""
    nights(runner)
    cover = ["override", "add", "replace", "--by", "maya@clinic.test", "--for",
             "ben@clinic.test", "--from", "2026-03-07 18:00", "--until", "2026-03-07 23:00"]
    swap = ["swap", "add", "ben@clinic.test", "2026-03-07 12:00", "nora@clinic.test",
            "2026-03-08 12:00"]

    assert hub(runner, *cover).output.startswith("override #1:")
    assert hub(runner, *swap).output.startswith("swap #2:")
    assert hub(runner, "swap", "remove", "2").exit_code == 0
    assert hub(runner, "override", "remove", "1").exit_code == 0
    again = hub(runner, *cover)
    swapped_again = hub(runner, *swap)
    hub(runner, "rotation", "remove", "nights")
    nights(runner)

    assert again.output.startswith("override #4:"), again.output
    assert swapped_again.output.startswith("swap #5:"), swapped_again.output
    assert [e["rotation_id"] for e in events(rt, "schedule.rotation_added")] == [1, 2]

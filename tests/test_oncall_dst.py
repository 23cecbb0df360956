"""Who is on call, decided on a fixed clock: the nights the clocks change, covers, swaps.

The clinic hands the night phone from one nurse to the next at 02:00 New York time, every day.
Ben (1), Nora (2) and Maya (3) take turns, Ben first, from Saturday 7 March 2026.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing.roster import (
    CalendarShift,
    OnCall,
    Override,
    RotationPlan,
    Schedule,
    on_call,
    on_call_at,
)

NY = ZoneInfo("America/New_York")
BEN, NORA, MAYA, OMAR = 1, 2, 3, 4


def ny(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold).astimezone(UTC)


def nights(start: date, handoff: time = time(2)) -> RotationPlan:
    return RotationPlan("nights", "primary", 1, handoff, start, (BEN, NORA, MAYA), NY)


def primary(schedule: Schedule, at: datetime) -> list[int]:
    return [span.staff_id for span in on_call_at(schedule, at).get("primary", [])]


def holder(schedule: Schedule, at: datetime) -> OnCall:
    [span] = on_call_at(schedule, at)["primary"]
    return span


# --- the nights the clocks change --------------------------------------------------------

def test_the_spring_forward_hand_off_at_two_happens_when_the_clocks_jump_to_three():
    schedule = Schedule(rotations=[nights(date(2026, 3, 7))])

    # Ben's turn began Saturday 02:00 EST; Nora's begins at the jump, 03:00 EDT (07:00 UTC).
    assert primary(schedule, ny(2026, 3, 8, 1, 59)) == [BEN]
    assert primary(schedule, ny(2026, 3, 8, 3, 0)) == [NORA]
    nora = holder(schedule, ny(2026, 3, 8, 3, 0))
    assert nora.start == datetime(2026, 3, 8, 7, tzinfo=UTC)
    # 02:30 does not exist that night; read with fold=0 it is 03:30 EDT: Nora's.
    assert primary(schedule, datetime(2026, 3, 8, 2, 30, tzinfo=NY).astimezone(UTC)) == [NORA]
    # Ben's turn was 24 real hours, Nora's is 23 (02:00 EDT Monday): back to back.
    ben = holder(schedule, ny(2026, 3, 7, 12))
    assert ben.end == nora.start
    assert nora.end - nora.start == timedelta(hours=23)
    assert holder(schedule, ny(2026, 3, 9, 2)).staff_id == MAYA


def test_the_fall_back_hand_off_at_two_waits_for_the_second_one_o_clock_hour_to_pass():
    schedule = Schedule(rotations=[nights(date(2026, 10, 31))])

    # Ben holds both 01:30s of Sunday 1 November (EDT, then EST); Nora takes 02:00 EST.
    assert primary(schedule, ny(2026, 11, 1, 1, 30, fold=0)) == [BEN]
    assert primary(schedule, ny(2026, 11, 1, 1, 30, fold=1)) == [BEN]
    assert primary(schedule, ny(2026, 11, 1, 2, 0)) == [NORA]
    ben = holder(schedule, ny(2026, 11, 1, 1, 30, fold=1))
    assert ben.end - ben.start == timedelta(hours=25)


@pytest.mark.parametrize("handoff", [time(2), time(1, 30), time(2, 30), time(8)])
@pytest.mark.parametrize("month", [3, 11])
def test_no_hour_of_a_dst_week_is_covered_twice_or_left_bare(handoff, month):
    schedule = Schedule(rotations=[nights(date(2026, month, 1), handoff)])
    start, end = ny(2026, month, 1, 12), ny(2026, month, 15, 12)

    spans = on_call(schedule, start, end)

    assert spans[0].start <= start and spans[-1].end >= end
    for before, after in zip(spans, spans[1:], strict=False):
        assert before.end == after.start  # back to back: no gap, no overlap
    assert [s.staff_id for s in spans[:4]] == [BEN, NORA, MAYA, BEN]


def test_a_weekly_rotation_hands_over_on_the_same_weekday_and_local_hour_all_year():
    weekly = RotationPlan("backup", "backup", 7, time(8), date(2026, 1, 5), (NORA, OMAR), NY)

    turns = on_call(Schedule(rotations=[weekly]), ny(2026, 1, 5, 8), ny(2026, 12, 28, 8))

    assert len(turns) == 51
    assert {t.start.astimezone(NY).strftime("%a %H:%M") for t in turns} == {"Mon 08:00"}
    assert [t.staff_id for t in turns[:3]] == [NORA, OMAR, NORA]


def test_before_its_start_a_rotation_holds_nobody():
    schedule = Schedule(rotations=[nights(date(2026, 3, 7))])

    assert primary(schedule, ny(2026, 3, 7, 1, 59)) == []
    assert primary(schedule, ny(2026, 3, 7, 2)) == [BEN]


def test_an_empty_schedule_and_an_empty_rotation_hold_nobody():
    empty = RotationPlan("new", "primary", 7, time(8), date(2026, 1, 1), (), NY)

    assert on_call_at(Schedule(), ny(2026, 3, 8, 2)) == {}
    assert on_call_at(Schedule(rotations=[empty]), ny(2026, 3, 8, 2)) == {}


# --- overrides and swaps ---------------------------------------------------------------

def test_nora_covers_ben_for_his_evening_and_ben_is_back_after():
    cover = Override(1, "replace", None, NORA, BEN, ny(2026, 3, 7, 18), ny(2026, 3, 7, 23))
    schedule = Schedule(rotations=[nights(date(2026, 3, 7))], overrides=[cover])

    assert primary(schedule, ny(2026, 3, 7, 17)) == [BEN]
    nora = holder(schedule, ny(2026, 3, 7, 20))
    assert (nora.staff_id, nora.covers, nora.override, nora.kind) == (NORA, BEN, 1, "replace")
    assert nora.rotation == "nights"
    assert (nora.start, nora.end) == (ny(2026, 3, 7, 18), ny(2026, 3, 7, 23))
    assert primary(schedule, ny(2026, 3, 7, 23, 30)) == [BEN]


def test_a_cover_of_a_cover_goes_to_the_last_person_asked():
    # Nora covers Ben on Saturday evening; then Nora falls ill and Omar covers Nora.
    nora_for_ben = Override(1, "replace", None, NORA, BEN, ny(2026, 3, 7, 18),
                            ny(2026, 3, 8, 0))
    omar_for_nora = Override(2, "replace", None, OMAR, NORA, ny(2026, 3, 7, 20),
                             ny(2026, 3, 7, 22))
    schedule = Schedule(rotations=[nights(date(2026, 3, 7))],
                        overrides=[omar_for_nora, nora_for_ben])

    assert primary(schedule, ny(2026, 3, 7, 19)) == [NORA]
    omar = holder(schedule, ny(2026, 3, 7, 21))
    assert (omar.staff_id, omar.covers) == (OMAR, NORA)
    assert primary(schedule, ny(2026, 3, 7, 23)) == [NORA]


def test_an_added_nurse_is_on_call_beside_the_rotation_and_a_removed_one_leaves_a_gap():
    extra = Override(1, "add", "primary", OMAR, None, ny(2026, 3, 7, 20), ny(2026, 3, 8, 4))
    off = Override(2, "remove", "primary", None, BEN, ny(2026, 3, 7, 22), ny(2026, 3, 7, 23))
    schedule = Schedule(rotations=[nights(date(2026, 3, 7))], overrides=[extra, off])

    assert sorted(primary(schedule, ny(2026, 3, 7, 21))) == [BEN, OMAR]
    assert primary(schedule, ny(2026, 3, 7, 22, 30)) == [OMAR]
    assert primary(schedule, ny(2026, 3, 8, 5)) == [NORA]


def test_a_swap_exchanges_two_turns_and_nothing_else():
    # Ben and Nora swap: Nora works Ben's Saturday turn, Ben works Nora's Sunday one.
    saturday = (ny(2026, 3, 7, 2), ny(2026, 3, 8, 3))
    sunday = (ny(2026, 3, 8, 3), ny(2026, 3, 9, 2))
    swap = [Override(5, "swap", "primary", NORA, BEN, *saturday),
            Override(6, "swap", "primary", BEN, NORA, *sunday)]
    schedule = Schedule(rotations=[nights(date(2026, 3, 7))], overrides=swap)

    saturday_holder = holder(schedule, ny(2026, 3, 7, 12))
    assert (saturday_holder.staff_id, saturday_holder.kind) == (NORA, "swap")
    assert primary(schedule, ny(2026, 3, 8, 12)) == [BEN]
    assert primary(schedule, ny(2026, 3, 9, 12)) == [MAYA]


def test_calendar_shifts_and_rotations_share_a_layer_and_overrides_apply_to_both():
    physician = CalendarShift(OMAR, "primary", ny(2026, 3, 7, 8), ny(2026, 3, 7, 17))
    cover = Override(1, "replace", "primary", MAYA, OMAR, ny(2026, 3, 7, 12), ny(2026, 3, 7, 13))
    schedule = Schedule(rotations=[nights(date(2026, 3, 7))], shifts=[physician],
                        overrides=[cover])

    assert sorted(primary(schedule, ny(2026, 3, 7, 9))) == [BEN, OMAR]
    lunch = {s.staff_id: s for s in on_call_at(schedule, ny(2026, 3, 7, 12, 30))["primary"]}
    assert lunch[MAYA].source == "calendar" and lunch[MAYA].covers == OMAR


def test_an_override_on_another_layer_leaves_this_one_alone():
    cover = Override(1, "replace", "backup", NORA, BEN, ny(2026, 3, 7, 0), ny(2026, 3, 9, 0))
    schedule = Schedule(rotations=[nights(date(2026, 3, 7))], overrides=[cover])

    assert primary(schedule, ny(2026, 3, 7, 12)) == [BEN]

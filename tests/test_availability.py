"""Availability text in English and Vietnamese -> weekly (weekday, slot) sets."""

from __future__ import annotations

import pytest

from matcher.availability import (
    ALWAYS,
    DEFAULT,
    AvailabilityError,
    check_availability,
    describe,
    describe_days,
    parse_availability,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAYS = (MON, TUE, WED, THU, FRI)
ALL = tuple(range(7))
M, A, E = "morning", "afternoon", "evening"
DAY = (M, A)


def slots(days, times) -> frozenset:
    return frozenset((d, s) for d in days for s in times)


TABLE = [
    ("Mon-Fri evening; Sat", slots(WEEKDAYS, [E]) | slots([SAT], DAY)),
    ("T2-T6 tối; T7", slots(WEEKDAYS, [E]) | slots([SAT], DAY)),
    ("CN sáng", slots([SUN], [M])),
    ("Thứ 2, Thứ 4 chiều", slots([MON, WED], [A])),
    ("weekends", slots([SAT, SUN], DAY)),
    ("cuối tuần", slots([SAT, SUN], DAY)),
    ("hàng ngày", DEFAULT),
    ("daily", DEFAULT),
    ("every day", DEFAULT),
    ("sáng", slots(ALL, [M])),
    ("chiều", slots(ALL, [A])),
    ("tối", slots(ALL, [E])),
    ("morning/afternoon/evening", ALWAYS),
    ("T2,T4,T6 sáng", slots([MON, WED, FRI], [M])),
    ("Mon/Wed/Fri", slots([MON, WED, FRI], DAY)),
    ("Chủ nhật", slots([SUN], DAY)),
    ("all day", ALWAYS),
    ("cả ngày", ALWAYS),
    ("T2-T6 toi", slots(WEEKDAYS, [E])),
    ("CN sang", slots([SUN], [M])),
    ("MON-FRI EVENING", slots(WEEKDAYS, [E])),
    ("Sat all day", slots([SAT], [M, A, E])),
    ("T2-6", slots(WEEKDAYS, DAY)),
    ("T2, 4, 6 tối", slots([MON, WED, FRI], [E])),
    ("Thứ hai đến thứ sáu buổi tối", slots(WEEKDAYS, [E])),
    ("T2 tới T6", slots(WEEKDAYS, DAY)),
    ("T4 tối, CN", slots([WED], [E]) | slots([SUN], DAY)),
    ("sáng T2, chiều T4", slots([MON], [M]) | slots([WED], [A])),
    ("Sat afternoon; Sun morning", slots([SAT], [A]) | slots([SUN], [M])),
    ("Tue, Thu evening", slots([TUE, THU], [E])),
    ("weekdays", slots(WEEKDAYS, DAY)),
    ("hàng ngày trừ CN", slots(range(6), DAY)),
    ("every day except Sunday evening", slots(range(6), [E])),
    ("T7 sáng và chiều, CN", slots([SAT, SUN], DAY)),
    ("Monday to Friday mornings", slots(WEEKDAYS, [M])),
    ("8h-11h", slots(ALL, [M])),
    ("T2-T6 sau 17h", slots(WEEKDAYS, [E])),
    ("weekdays after 6pm", slots(WEEKDAYS, [E])),
    ("Sat-Mon", slots([SAT, SUN, MON], DAY)),
    ("T3 sáng\nT5 chiều", slots([TUE], [M]) | slots([THU], [A])),
]


@pytest.mark.parametrize(("text", "expected"), TABLE, ids=[t for t, _ in TABLE])
def test_phrasings(text: str, expected: frozenset) -> None:
    """Each English or Vietnamese phrasing reads as the expected weekly slots."""
    assert parse_availability(text) == expected


def test_table_covers_both_languages() -> None:
    """The table has at least 15 phrasings, Vietnamese and English."""
    assert len(TABLE) >= 15
    assert sum(any(ch in t for ch in "ạàáâăãảấầẩẫậắằẳẵặđêếềểễệìíịôơớờởỡợùúưứừửữựỳýỹ") or
               t.startswith(("T", "CN")) for t, _ in TABLE) >= 15


@pytest.mark.parametrize("text", [None, "", "   "])
def test_blank_means_any_daytime(text) -> None:
    """No availability given means any daytime slot, every day."""
    assert parse_availability(text) == DEFAULT == slots(ALL, DAY)


@pytest.mark.parametrize("text", ["T2-T6 tối", "t2-t6 TỐI", "T2-T6 toi", "  t2 - t6   toi "])
def test_accents_case_and_spacing_do_not_matter(text: str) -> None:
    """Accents, case and spaces do not change the reading."""
    assert parse_availability(text) == slots(WEEKDAYS, [E])


def test_day_without_time_means_daytime() -> None:
    """A day written without a time of day is morning and afternoon, not evening."""
    assert parse_availability("T7") == slots([SAT], DAY)
    assert (SAT, E) not in parse_availability("Sat")


@pytest.mark.parametrize(("text", "word"), [
    ("sometimes", "sometimes"), ("T2-T6 tối; xyz", "xyz"), ("Mon-", "range"),
    ("5", "T5"), ("22h-23h", "no visit time"), (";", "no day"),
])
def test_unreadable_text_raises_with_reason(text: str, word: str) -> None:
    """Unreadable text raises AvailabilityError (a ValueError) whose reason names the problem."""
    with pytest.raises(AvailabilityError) as info:
        parse_availability(text)
    assert isinstance(info.value, ValueError)
    assert word in str(info.value)
    assert check_availability(text) == str(info.value)


def test_check_availability_accepts_good_text() -> None:
    """check_availability returns None for readable and blank text."""
    assert check_availability("T2-T6 tối; T7") is None
    assert check_availability(None) is None


def test_describe_is_plain_english() -> None:
    """describe() names day ranges and times of day in plain words."""
    assert describe(parse_availability("Mon-Fri evening; Sat")) == (
        "Mon–Fri evenings; Sat mornings and afternoons")
    assert describe(parse_availability("T2,T4,T6 sáng")) == "Mon, Wed, Fri mornings"
    assert describe(ALWAYS) == "any time"
    assert describe(frozenset()) == "never"


VI_TABLE = [
    ("Mon-Fri evening; Sat", "tối T2–T6; sáng và chiều T7"),
    ("T2-T6 sáng", "sáng T2–T6"),
    ("T2,T4,T6 sáng", "sáng T2, T4, T6"),
    ("CN chiều", "chiều CN"),
    ("hàng ngày", "sáng và chiều hằng ngày"),
    ("tối", "tối hằng ngày"),
    ("Sat all day", "cả ngày T7"),
    ("T2 sáng, tối", "sáng và tối T2"),
    ("T3, T5 chiều, tối", "chiều và tối T3, T5"),
    ("T3 sáng\nT5 chiều", "sáng T3; chiều T5"),
    ("Sat-Mon", "sáng và chiều T2, T7, CN"),
    ("every day except Sunday evening", "tối T2–T7"),
    ("T2-T6 tối; T7, CN cả ngày", "tối T2–T6; cả ngày T7, CN"),
    ("all day", "bất kỳ lúc nào"),
]


@pytest.mark.parametrize(("text", "expected"), VI_TABLE, ids=[t for t, _ in VI_TABLE])
def test_describe_in_vietnamese(text: str, expected: str) -> None:
    """describe(lang="vi") puts the time of day (sáng/chiều/tối) before days T2..T7/CN."""
    assert describe(parse_availability(text), lang="vi") == expected


def test_describe_vietnamese_edge_cases() -> None:
    """No slot, a custom separator, and describe_days in both languages."""
    assert describe(frozenset(), lang="vi") == "không lúc nào"
    assert describe(parse_availability("T2 sáng; T4 chiều"), " + ", lang="vi") == (
        "sáng T2 + chiều T4")
    assert describe_days(range(5), lang="vi") == "T2–T6"
    assert describe_days([0, 2, 6], lang="vi") == "T2, T4, CN"
    assert describe_days(range(7), lang="vi") == "hằng ngày"
    assert describe_days(range(5)) == "Mon–Fri" and describe_days(range(7)) == "every day"


@pytest.mark.parametrize(("text", "vi"), [
    ("sometimes", "'sometimes' không phải là ngày hay buổi trong ngày"),
    ("22h-23h", "không có giờ thăm nào"), (";", "không thấy ngày hay buổi nào"),
])
def test_unreadable_text_reason_in_vietnamese(text: str, vi: str) -> None:
    """The reason carries its Vietnamese wording (from the catalogue) for the input report."""
    reason = check_availability(text)
    assert vi in reason.vi and reason.vi != str(reason)

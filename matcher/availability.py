"""Availability text from the roster -> the set of weekly (weekday, slot) pairs.

A week has 7 days (0 = Monday .. 6 = Sunday) and 3 slots a day: morning, afternoon,
evening. Coordinators write availability in English or Vietnamese, with or without
accents, in any case::

    Mon-Fri evening; Sat        T2-T6 tối; T7        CN sáng        Thứ 2, Thứ 4 chiều
    weekends    cuối tuần       hàng ngày / daily    sáng / chiều / tối       T2,4,6 sáng
    Mon/Wed/Fri     Chủ nhật    all day / cả ngày    T2-T6 toi; CN sang       8h-11h

Rules (documented for coordinators):

* ``;`` (or a new line) separates independent parts; the result is their union.
* Inside a part, times of day apply to the days written next to them: ``Thứ 2, Thứ 4
  chiều`` is Monday and Wednesday afternoons; ``sáng T2, chiều T4`` reads the other way.
* **A day written without a time of day means daytime: morning and afternoon** (not the
  evening). ``all day`` / ``cả ngày`` means all three slots.
* A time of day without days means every day (``tối`` = every evening).
* Empty text means the default: any daytime slot (every day, morning and afternoon).
* Clock times map to the slot whose visit starts inside them (morning 08:00, afternoon
  14:00, evening 19:00): ``8h-11h`` is the morning, ``sau 17h`` / ``after 5pm`` the evening.
* ``except`` / ``trừ`` removes days: ``hàng ngày trừ CN``.

Text that cannot be read raises :class:`AvailabilityError` with a short reason.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable

from matcher import catalog
from matcher.text import fold

SLOTS = ("morning", "afternoon", "evening")
DAYTIME = ("morning", "afternoon")
SLOT_HOURS = {"morning": 8, "afternoon": 14, "evening": 19}
ALL_DAYS = tuple(range(7))

Slots = frozenset[tuple[int, str]]

ALWAYS: Slots = frozenset((d, s) for d in ALL_DAYS for s in SLOTS)
DEFAULT: Slots = frozenset((d, s) for d in ALL_DAYS for s in DAYTIME)


class AvailabilityError(ValueError):
    """Availability text that cannot be read; the message is a short reason."""


# ------------------------------------------------------------------------------ tokens

_VI_NUM = {"2": 0, "hai": 0, "3": 1, "ba": 1, "4": 2, "tu": 2, "5": 3, "nam": 3,
           "6": 4, "sau": 4, "7": 5, "bay": 5}
_EN_DAYS = (r"mon(?:day)?s?", r"tue(?:s|sday)?s?", r"wed(?:nesday)?s?",
            r"thu(?:rsday|rs|r)?s?", r"fri(?:day)?s?", r"sat(?:urday)?s?", r"sun(?:day)?s?")
_HOUR = r"(\d{1,2})(?:\s*(?::|h|g|gio)\s*(\d{2})?)?\s*(am|pm|a\.m\.|p\.m\.)?"

# (kind, value); kinds: day (frozenset of days), num (bare 2..7), slot (frozenset of
# slots), range, toi (evening or 'to'), except, noise
Token = tuple[str, object]


def _hour(m: re.Match, i: int) -> tuple[float, bool]:
    """Hour from groups i (hour), i+1 (minutes), i+2 (am/pm); and whether it was marked
    as a clock time (h, :, am/pm)."""
    h, mins, ampm = int(m.group(i)), m.group(i + 1), m.group(i + 2)
    marked = bool(ampm) or m.group(0).find(":") >= 0 or bool(
        re.search(r"\d\s*(?:h|g|gio)", m.group(0)))
    if ampm and ampm.startswith("p") and h < 12:
        h += 12
    if ampm and ampm.startswith("a") and h == 12:
        h = 0
    return h + (int(mins) / 60 if mins else 0.0), marked


def _slots_between(lo: float, hi: float) -> frozenset[str]:
    return frozenset(s for s, h in SLOT_HOURS.items() if lo <= h < hi)


def _clock_range(m: re.Match) -> Token | None:
    a, ma = _hour(m, 1)
    b, mb = _hour(m, 4)
    if not (ma or mb) or not (0 <= a <= 24 and 0 <= b <= 24):
        return None
    if m.group(6) and not m.group(3) and a + 12 <= b:  # '2-5pm'
        a += 12
    slots = _slots_between(a, b)
    if not slots:
        raise AvailabilityError(catalog.bi("avail.no_visit_time", text=m.group(0)))
    return ("slot", slots)


def _clock_bound(m: re.Match) -> Token | None:
    h, marked = _hour(m, 2)
    if not marked or not 0 <= h <= 24:
        return None
    after = m.group(1) in ("sau", "after", "from", "tu")
    slots = _slots_between(h, 25) if after else _slots_between(-1, h)
    if not slots:
        raise AvailabilityError(catalog.bi("avail.leaves_no_time", text=m.group(0)))
    return ("slot", slots)


def _const(kind: str, value: object) -> Callable[[re.Match], Token]:
    return lambda m: (kind, value)


def _days(*days: int) -> frozenset[int]:
    return frozenset(days)


_B = r"(?![a-z0-9])"  # end of a word
_PATTERNS: list[tuple[re.Pattern, Callable[[re.Match], Token | None]]] = [
    (re.compile(_HOUR + r"\s*(?:-|~|to|den|toi|until|till)\s*" + _HOUR + _B), _clock_range),
    (re.compile(r"(sau|after|from|tu|truoc|before)\s*" + _HOUR + _B
                + r"(?!\s*(?:-|~|to|den|toi|until|till)\s*\d)"), _clock_bound),
    (re.compile(r"(?:thu|th|t)\s*\.?\s*(2|3|4|5|6|7|hai|ba|tu|nam|sau|bay)" + _B),
     lambda m: ("day", _days(_VI_NUM[m.group(1)]))),
    (re.compile(r"(?:chu\s*nhat|cn)" + _B), _const("day", _days(6))),
    (re.compile(r"(?:week\s*days?|ngay\s*thuong|ngay\s*trong\s*tuan|trong\s*tuan"
                r"|ngay\s*lam\s*viec|working\s*days?)" + _B), _const("day", _days(0, 1, 2, 3, 4))),
    (re.compile(r"(?:week\s*-?\s*ends?|cuoi\s*tuan)" + _B), _const("day", _days(5, 6))),
    (re.compile(r"(?:daily|every\s*days?|everyday|all\s*week|any\s*days?|7\s*days?"
                r"|hang\s*ngay|moi\s*ngay|ca\s*tuan|cac\s*ngay\s*trong\s*tuan|tat\s*ca\s*cac"
                r"\s*ngay)" + _B), _const("day", frozenset(ALL_DAYS))),
    *[(re.compile(p + _B), _const("day", _days(i))) for i, p in enumerate(_EN_DAYS)],
    (re.compile(r"(?:all\s*day|full\s*day|whole\s*day|all\s*the\s*time|any\s*time|anytime"
                r"|ca\s*ngay|bat\s*ky\s*luc\s*nao|luc\s*nao\s*cung\s*duoc|ca\s*ngay\s*lan"
                r"\s*toi)" + _B), _const("slot", frozenset(SLOTS))),
    (re.compile(r"(?:day\s*time|ban\s*ngay|gio\s*hanh\s*chinh|office\s*hours|working"
                r"\s*hours)" + _B), _const("slot", frozenset(DAYTIME))),
    (re.compile(r"(?:mornings?|sang|a\.?m\.?)" + _B), _const("slot", frozenset({"morning"}))),
    (re.compile(r"(?:afternoons?|chieu|p\.?m\.?)" + _B),
     _const("slot", frozenset({"afternoon"}))),
    (re.compile(r"(?:evenings?|nights?|dem|buoi\s*toi)" + _B),
     _const("slot", frozenset({"evening"}))),
    (re.compile(r"toi" + _B), _const("toi", None)),  # 'tối' (evening) or 'tới' (to)
    (re.compile(r"(?:-|~|to|through|thru|until|till|den)" + _B + r"|[-~]"),
     _const("range", None)),
    (re.compile(r"(?:except|but\s*not|not\s*on|ngoai\s*tru|tru|khong\s*ke)" + _B),
     _const("except", None)),
    (re.compile(r"[2-7]" + _B), lambda m: ("num", int(m.group(0)))),
    (re.compile(r"(?:and|va|or|hoac|on|the|every|each|only|chi|buoi|vao|cac|ngay|from|tu"
                r"|at|in|luc|ranh|free|available|avail|are|is|co\s*the|hang\s*tuan|weekly"
                r"|moi|all|plus|also|with)" + _B + r"|[/&+.:()]"),
     _const("noise", None)),
    (re.compile(r","), _const("sep", None)),
]


def _tokens(part: str) -> list[Token]:
    part = re.sub(r"(?i)t[ớỚ]i", " đến ", unicodedata.normalize("NFC", part))  # 'tới' = to
    text = fold(part).replace("–", "-").replace("—", "-").replace("−", "-")
    out: list[Token] = []
    i = 0
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        for pattern, make in _PATTERNS:
            m = pattern.match(text, i)
            if m is None or m.end() == i:
                continue
            tok = make(m)
            if tok is None:
                continue
            if tok[0] != "noise":
                out.append(tok)
            i = m.end()
            break
        else:
            word = re.match(r"[^\s,;/]+", text[i:]).group(0)
            raise AvailabilityError(catalog.bi("avail.not_day", word=word))
    return out


# ------------------------------------------------------------------------------ grammar

def _resolve(tokens: list[Token]) -> list[Token]:
    """'toi' right before a day is 'tới' (to) after a day, otherwise 'tối' (evening); a bare
    number 2..7 is a Vietnamese weekday when it follows a day ('T2-6', 'T2, 4, 6')."""
    out: list[Token] = []
    for i, (kind, value) in enumerate(tokens):
        if kind == "sep":
            continue
        if kind == "toi":
            prev_day = bool(out) and out[-1][0] == "day"
            nxt = tokens[i + 1][0] if i + 1 < len(tokens) else None
            kind, value = ("range", None) if prev_day and nxt in ("day", "num") else (
                "slot", frozenset({"evening"}))
        elif kind == "num":
            if not out or out[-1][0] not in ("day", "range"):
                raise AvailabilityError(catalog.bi("avail.not_day_hint", value=str(value)))
            kind, value = "day", frozenset({int(value) - 2})
        out.append((kind, value))
    merged: list[Token] = []
    i = 0
    while i < len(out):
        kind, value = out[i]
        if kind == "range":
            if not merged or i + 1 >= len(out) or merged[-1][0] != out[i + 1][0]:
                raise AvailabilityError(catalog.bi("avail.range_ends"))
            merged.append((out[i + 1][0], _span(out[i + 1][0], merged.pop()[1],
                                                 out[i + 1][1])))
            i += 2
            continue
        merged.append((kind, value))
        i += 1
    return merged


def _span(kind: str, a: frozenset, b: frozenset) -> frozenset:
    if len(a) != 1 or len(b) != 1:
        raise AvailabilityError(catalog.bi("avail.range_kinds"))
    (x,), (y,) = a, b
    if kind == "day":
        return frozenset((x + k) % 7 for k in range((y - x) % 7 + 1))
    i, j = SLOTS.index(x), SLOTS.index(y)
    if j < i:
        raise AvailabilityError(catalog.bi("avail.range_backwards"))
    return frozenset(SLOTS[i:j + 1])


def _groups(tokens: list[Token]) -> Iterable[tuple[frozenset[int], frozenset[str]]]:
    """Split a part into (days, slots) groups: days then their times of day, or (when the
    part starts with a time of day) times of day then their days."""
    prefix = bool(tokens) and tokens[0][0] == "slot"
    days: set[int] = set()
    minus: set[int] = set()
    slots: set[str] = set()
    excluding = False
    for kind, value in tokens:
        if kind == "except":
            excluding = True
            continue
        closes = (kind == "day" and slots and not prefix and not excluding) or (
            kind == "slot" and (days or minus) and prefix)
        if closes:
            yield _group(days, minus, slots)
            days, minus, slots, excluding = set(), set(), set(), False
        if kind == "day":
            (minus if excluding else days).update(value)
        elif kind == "slot":
            slots.update(value)
            excluding = False
    if days or slots or minus:
        yield _group(days, minus, slots)


def _group(days: set[int], minus: set[int], slots: set[str]
           ) -> tuple[frozenset[int], frozenset[str]]:
    d = (set(days) if days else set(ALL_DAYS)) - minus
    if not d:
        raise AvailabilityError(catalog.bi("avail.except_all"))
    return frozenset(d), frozenset(slots or DAYTIME)


def parse_availability(text: str | None) -> Slots:
    """The weekly (weekday, slot) pairs ``text`` allows; blank means :data:`DEFAULT`."""
    if text is None or not str(text).strip():
        return DEFAULT
    return _parse(str(text))


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Slots:
    out: set[tuple[int, str]] = set()
    for part in re.split(r"[;\n|]+", text):
        if not part.strip():
            continue
        for days, slots in _groups(_resolve(_tokens(part))):
            out.update((d, s) for d in days for s in slots)
    if not out:
        raise AvailabilityError(catalog.bi("avail.nothing"))
    return frozenset(out)


def check_availability(text: str | None) -> str | None:
    """The reason ``text`` cannot be read, or None when it is fine (for the reader)."""
    try:
        parse_availability(text)
    except AvailabilityError as exc:  # its reason in both languages (a Bi)
        return exc.args[0] if exc.args else str(exc)
    return None


# ------------------------------------------------------------------------------ describe

def _slot_words(slots: frozenset[str], lang: str) -> str:
    """'mornings and afternoons' / 'sáng và chiều' (catalogue "avail.slots.<slots>")."""
    return catalog.text("avail.slots." + "-".join(x for x in SLOTS if x in slots), lang)


def describe_days(days: Iterable[int], lang: str = "en") -> str:
    """'Mon–Fri', 'Mon, Wed, Fri', 'every day'; with ``lang="vi"``: 'T2–T6', 'T2, T4, T6',
    'hằng ngày' (the catalogue's "avail.day.<n>")."""
    names = [catalog.text(f"avail.day.{d}", lang) for d in range(7)]
    ds = sorted(set(days))
    if len(ds) == 7:
        return catalog.text("avail.every_day", lang)
    runs: list[list[int]] = []
    for d in ds:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]}–{names[run[-1]]}")
        else:
            parts.extend(names[d] for d in run)
    return ", ".join(parts)


def describe(slots: Iterable[tuple[int, str]], sep: str = "; ", lang: str = "en") -> str:
    """Plain words for a set of weekly slots: 'Mon–Fri mornings; Sat all day', or with
    ``lang="vi"`` (time of day first, as coordinators write it): 'sáng T2–T6; cả ngày T7'."""
    by_day: dict[int, frozenset[str]] = {}
    for d, s in slots:
        by_day[d] = by_day.get(d, frozenset()) | {s}
    if not by_day:
        return catalog.text("avail.never", lang)
    by_set: dict[frozenset[str], list[int]] = {}
    for d in sorted(by_day):
        by_set.setdefault(by_day[d], []).append(d)
    order = sorted(by_set.items(), key=lambda kv: (kv[1][0], len(kv[0])))
    if len(order) == 1 and len(order[0][1]) == 7 and len(order[0][0]) == 3:
        return catalog.text("avail.any_time", lang)
    return sep.join(catalog.text("avail.phrase", lang, days=describe_days(days, lang),
                                 slots=_slot_words(s, lang)) for s, days in order)

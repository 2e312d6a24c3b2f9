"""Domain objects: returnees, mentors, job openings, training courses, pairs and settings.

Objects carry stable ids from the roster (never row numbers; ``row`` is kept only to
point coordinators at the right line) and check themselves when built, raising a short
``ValueError``. The reader turns those into located :class:`~matcher.errors.Issue`s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from matcher import catalog
from matcher.text import header_key, join_bi
from matcher.values import ImpossibleDate, parse_date, parse_number

OFFENSES = ("drugs", "property", "violence", "fraud", "traffic", "other")
GENDERS = ("M", "F")
SPECIALTIES = ("drugs", "youth", "women", "jobs", "legal")
SHIFTS = ("day", "night", "any")
COURSE_SCHEDULES = ("day", "evening")
GENDER_RULES = ("women_to_women", "same_gender", "none")
RISK_NAMES = {1: "low", 2: "medium", 3: "high"}
LOAN_PURPOSES = ("business", "other")  # production or business (the programme's), other


def _bad(key: str, **params: Any) -> ValueError:
    """A domain check's failure, in both languages (its argument is a Bi: the reader shows
    the Vietnamese to a Vietnamese coordinator)."""
    return ValueError(catalog.bi("domain." + key, **params))


def _words(kind: str) -> Any:
    """A choice's accepted words in both languages ("ma túy, tài sản, ...")."""
    return join_bi([catalog.bi(f"choice.{kind}.{c}") for c in CHOICES[kind]], ", ")


@dataclass(frozen=True, slots=True)
class Location:
    """A point. ``ward`` is the resolved gazetteer unit (2025 name) when known;
    ``from_ward_point`` means the point is the ward's representative point, so
    distances are approximate; ``unreliable`` means that point is flagged."""

    lat: float
    lon: float
    ward: str | None = None
    from_ward_point: bool = False
    unreliable: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            raise _bad("lat", value=self.lat)
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            raise _bad("lon", value=self.lon)


def _check_person(obj: Any) -> None:
    if not obj.id:
        raise _bad("no_id")
    if not obj.full_name:
        raise _bad("no_name")
    if obj.gender not in GENDERS:
        raise _bad("gender", value=repr(obj.gender))
    if not 1900 <= obj.birth_year <= 2100:
        raise _bad("birth_year", value=str(obj.birth_year))


@dataclass(frozen=True, slots=True)
class Returnee:
    id: str
    full_name: str
    gender: str
    birth_year: int
    location: Location
    release_date: dt.date
    offense: str
    risk: int
    skills: frozenset[str] = frozenset()
    wants_job: bool = True
    wants_training: bool = False
    max_commute_km: float | None = None
    work_away_from_home: bool = False
    availability: str | None = None
    group: str | None = None
    needs_loan: bool = False
    loan_amount: int | None = None  # VND asked for (None: the ceiling in the settings)
    loan_purpose: str = "business"
    poor_household: bool = False
    follow_up_end: dt.date | None = None  # follow-up ends (e.g. criminal record cleared)
    row: int | None = field(default=None, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        _check_person(self)
        if self.loan_amount is not None and not self.loan_amount > 0:
            raise _bad("loan_amount")
        if self.loan_purpose not in LOAN_PURPOSES:
            raise _bad("loan_purpose", choices=_words("loan_purpose"))
        if self.offense not in OFFENSES:
            raise _bad("offense", choices=_words("offense"))
        if self.risk not in (1, 2, 3):
            raise _bad("risk")
        if self.max_commute_km is not None and not self.max_commute_km >= 0:
            raise _bad("max_commute_km")

    def age(self, on: dt.date) -> int:
        return on.year - self.birth_year


@dataclass(frozen=True, slots=True)
class Mentor:
    id: str
    full_name: str
    gender: str
    birth_year: int
    location: Location
    phone: str | None = None
    capacity: int = 2
    hours_per_month: float | None = None
    max_risk: int = 3
    specialties: frozenset[str] = frozenset()
    max_km: float | None = None
    availability: str | None = None
    active: bool = True
    row: int | None = field(default=None, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        _check_person(self)
        if self.capacity < 0:
            raise _bad("capacity")
        if self.hours_per_month is not None and not self.hours_per_month >= 0:
            raise _bad("hours_per_month")
        if self.max_risk not in (1, 2, 3):
            raise _bad("max_risk")
        if self.max_km is not None and not self.max_km >= 0:
            raise _bad("max_km")
        unknown = set(self.specialties) - set(SPECIALTIES)
        if unknown:
            raise _bad("specialties", values=", ".join(sorted(unknown)))


@dataclass(frozen=True, slots=True)
class Job:
    """One job opening that ``slots`` people can fill."""

    id: str
    employer: str
    sector: str
    location: Location
    slots: int
    min_age: int | None = None
    max_age: int | None = None
    shift: str = "day"
    excluded_offenses: frozenset[str] = frozenset()
    entry_level: bool = False
    start_date: dt.date | None = None
    row: int | None = field(default=None, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.id or not self.employer or not self.sector:
            raise _bad("job_required")
        if self.slots < 0:
            raise _bad("slots")
        if self.shift not in SHIFTS:
            raise _bad("shift", choices=_words("shift"))
        if set(self.excluded_offenses) - set(OFFENSES):
            raise _bad("excluded_offenses")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise _bad("ages")


@dataclass(frozen=True, slots=True)
class Training:
    """A vocational course with ``seats`` places."""

    id: str
    provider: str
    sector: str
    location: Location
    seats: int
    start_date: dt.date | None = None
    schedule: str = "day"
    row: int | None = field(default=None, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.id or not self.provider or not self.sector:
            raise _bad("training_required")
        if self.seats < 0:
            raise _bad("seats")
        if self.schedule not in COURSE_SCHEDULES:
            raise _bad("schedule", choices=_words("schedule"))


@dataclass(frozen=True, slots=True)
class PairRule:
    """A coordinator's row from the Pairs sheet: exactly one of mentor_id / job_id /
    training_id."""

    returnee_id: str
    mentor_id: str | None = None
    job_id: str | None = None
    training_id: str | None = None
    rule: str | None = None  # "require" | "forbid" | None
    reason: str = ""
    affinity: int = 0
    travel_minutes: float | None = None
    visit_hours_per_month: float | None = None
    row: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.returnee_id:
            raise _bad("pair_returnee")
        if sum(x is not None for x in (self.mentor_id, self.job_id, self.training_id)) != 1:
            raise _bad("pair_one")
        if self.rule not in (None, "require", "forbid"):
            raise _bad("pair_rule")
        if self.travel_minutes is not None and not self.travel_minutes >= 0:
            raise _bad("travel_minutes")
        if self.visit_hours_per_month is not None and not self.visit_hours_per_month >= 0:
            raise _bad("visit_hours")

    @property
    def kind(self) -> str:
        """What the row pairs the returnee with: "mentor", "job" or "training"."""
        return "mentor" if self.mentor_id else "job" if self.job_id else "training"

    @property
    def target(self) -> str:
        return self.mentor_id or self.job_id or self.training_id or ""


@dataclass(frozen=True, slots=True)
class LoanPool:
    """Capital the Social Policy Bank can lend this period through one ward or one
    transaction point covering several wards (sheet Loans / Vay vốn). ``wards`` are the
    resolved ward names it covers."""

    id: str
    name: str
    wards: frozenset[str]
    capital: int  # VND
    row: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise _bad("no_id")
        if not self.wards:
            raise _bad("pool_wards")
        if self.capital < 0:
            raise _bad("capital")


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One setting: its name (the code the reader also accepts), type, default and range.
    What a coordinator reads, its label and its meaning, is in the message catalogue
    (``setting.<name>.label``, ``setting.<name>.help``)."""

    name: str
    kind: type
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        """The setting in a few words ("Khoảng cách tối đa cựu chiến binh – người trở về
        (km)"): what the Settings sheet shows."""
        return catalog.text(f"setting.{self.name}.label", lang)

    def help(self, lang: str) -> str:
        """What the setting does, in a sentence."""
        return catalog.text(f"setting.{self.name}.help", lang)


# Every setting, its default and its range. Weights of lower tiers: 0 switches the term off.
SETTING_SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("plan_date", dt.date, None),
    SettingSpec("mentor_max_km", float, 5.0, 0, 1000),
    SettingSpec("job_max_km", float, 15.0, 0, 1000),
    SettingSpec("training_max_km", float, 20.0, 0, 1000),
    SettingSpec("gender_rule", str, "women_to_women", choices=GENDER_RULES),
    SettingSpec("cadence_high_days", int, 7, 1, 90),
    SettingSpec("cadence_medium_days", int, 14, 1, 90),
    SettingSpec("cadence_low_days", int, 28, 1, 180),
    SettingSpec("first_visit_days", int, 7, 1, 60),
    SettingSpec("visit_minutes", float, 60.0, 1, 600),
    SettingSpec("travel_speed_kmh", float, 20.0, 1, 200),
    SettingSpec("horizon_weeks", int, 4, 1, 26),
    SettingSpec("confirm_after_days", int, 0, 0, 3650),
    SettingSpec("time_limit_s", float, 60.0, 0.1, 3600),
    SettingSpec("candidates_k", int, 20, 5, 100000),
    SettingSpec("weight_specialty", int, 3, 0, 1000),
    SettingSpec("weight_same_ward", int, 2, 0, 1000),
    SettingSpec("weight_affinity", int, 1, 0, 1000),
    SettingSpec("weight_spread", int, 1, 0, 1000),
    SettingSpec("weight_travel", int, 1, 0, 1000),
    SettingSpec("weight_job_skill", int, 3, 0, 1000),
    SettingSpec("weight_job_away", int, 2, 0, 1000),
    SettingSpec("weight_commute", int, 1, 0, 1000),
    # Preferential loans: Decision 22/2023/QĐ-TTg as we read it — check the current rules
    SettingSpec("loan_max_vnd", int, 100_000_000, 0, 10**12),
    SettingSpec("loan_window_years", int, 3, 0, 50),
    SettingSpec("loan_employer_per_worker_vnd", int, 100_000_000, 0, 10**12),
    SettingSpec("loan_employer_max_vnd", int, 10_000_000_000, 0, 10**13),
    SettingSpec("weight_loan_no_job", int, 4, 0, 1000),
    SettingSpec("weight_loan_poor", int, 2, 0, 1000),
    SettingSpec("weight_loan_risk", int, 1, 0, 1000),
    SettingSpec("weight_loan_window", int, 1, 0, 1000),
    SettingSpec("report_since", dt.date, None),
    SettingSpec("report_period_days", int, 30, 1, 366),
    SettingSpec("loan_window_soon_days", int, 180, 0, 3650),
    SettingSpec("issuing_unit", str, None),  # None (blank): from the ward's name
)
SETTINGS_BY_NAME = {s.name: s for s in SETTING_SPECS}

# The coded values of a roster or a setting -> their words in the catalogue: the roster's
# own enums have "choice.<kind>.<code>"; the others share the workbook's words.
_WORD_KEYS = {"gender": "word:{}", "risk": "word:risk{}", "visit_kind": "word:{}",
              "slot": "word:{}", "change": "word:{}", "pair_kind": "word:{}",
              "bool": "word:{}"}
CHOICES: dict[str, tuple[Any, ...]] = {
    "gender_rule": GENDER_RULES, "gender": GENDERS, "offense": OFFENSES,
    "specialty": SPECIALTIES, "shift": SHIFTS, "schedule": COURSE_SCHEDULES,
    "rule": ("require", "forbid"), "loan_purpose": LOAN_PURPOSES, "risk": (1, 2, 3),
    "visit_kind": ("first", "follow-up"), "slot": ("morning", "afternoon", "evening"),
    "change": ("new", "kept", "changed", "ended"), "pair_kind": ("mentor", "job", "training"),
    "bool": (True, False),
}


def choice_label(kind: str, code: Any, lang: str) -> str:
    """A coded value in words ("nữ do nữ giúp đỡ" for the gender rule women_to_women)."""
    if kind == "bool":
        code = "yes" if code else "no"
    pattern = _WORD_KEYS.get(kind)
    return catalog.text(pattern.format(code) if pattern else f"choice.{kind}.{code}", lang)


# words earlier templates wrote, still read
_OLD_WORDS = {"gender_rule": {"nu voi nu": "women_to_women", "khong": "none"}}


@cache
def _choice_words(kind: str) -> dict[str, Any]:
    words: dict[str, Any] = {}
    for code in CHOICES[kind]:
        for w in (str(code), choice_label(kind, code, "en"), choice_label(kind, code, "vi")):
            words.setdefault(header_key(w), code)
    for w, code in _OLD_WORDS.get(kind, {}).items():
        words.setdefault(w, code)
    return words


def choice_of(kind: str, text: Any) -> Any:
    """The code of a value written as its code or in Vietnamese or English words, with or
    without accents ("nu do nu giup do" -> "women_to_women"); None when unknown."""
    return _choice_words(kind).get(header_key(text))


@cache
def _setting_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for spec in SETTING_SPECS:
        for w in (spec.name, spec.label("en"), spec.label("vi")):
            words.setdefault(header_key(w), spec.name)
    return words


def setting_name(text: Any) -> str | None:
    """The setting a Settings row names: its code (``mentor_max_km``) or its Vietnamese or
    English label, with or without accents; None when it names none."""
    return _setting_words().get(header_key(text))


@dataclass(frozen=True, slots=True)
class Settings:
    plan_date: dt.date = field(default_factory=dt.date.today)
    mentor_max_km: float = 5.0
    job_max_km: float = 15.0
    training_max_km: float = 20.0
    gender_rule: str = "women_to_women"
    cadence_high_days: int = 7
    cadence_medium_days: int = 14
    cadence_low_days: int = 28
    first_visit_days: int = 7
    visit_minutes: float = 60.0
    travel_speed_kmh: float = 20.0
    horizon_weeks: int = 4
    confirm_after_days: int = 0
    time_limit_s: float = 60.0
    candidates_k: int = 20
    weight_specialty: int = 3
    weight_same_ward: int = 2
    weight_affinity: int = 1
    weight_spread: int = 1
    weight_travel: int = 1
    weight_job_skill: int = 3
    weight_job_away: int = 2
    weight_commute: int = 1
    loan_max_vnd: int = 100_000_000
    loan_window_years: int = 3
    loan_employer_per_worker_vnd: int = 100_000_000
    loan_employer_max_vnd: int = 10_000_000_000
    weight_loan_no_job: int = 4
    weight_loan_poor: int = 2
    weight_loan_risk: int = 1
    weight_loan_window: int = 1
    loan_window_soon_days: int = 180
    report_since: dt.date | None = None
    report_period_days: int = 30
    issuing_unit: str | None = None  # None (a blank cell): from the ward's name

    def __post_init__(self) -> None:
        for spec in SETTING_SPECS:
            value = getattr(self, spec.name)
            if spec.choices and value not in spec.choices:
                raise _bad("setting_choice", setting=catalog.bi(f"setting.{spec.name}.label"),
                           choices=_words(spec.name))
            if spec.low is not None and not (spec.low <= value <= spec.high):
                raise _bad("setting_range", setting=catalog.bi(f"setting.{spec.name}.label"),
                           low=spec.low, high=spec.high)

    def cadence_days(self, risk: int) -> int:
        return {3: self.cadence_high_days, 2: self.cadence_medium_days,
                1: self.cadence_low_days}[risk]

    def visits_per_month(self, risk: int) -> float:
        return 30.0 / self.cadence_days(risk)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for spec in SETTING_SPECS:
            v = getattr(self, spec.name)
            out[spec.name] = v.isoformat() if isinstance(v, dt.date) else v
        return out


def parse_setting(name: str, raw: Any) -> Any:
    """Parse one setting value from text or a cell; raises ValueError whose argument is a
    :class:`~matcher.text.Bi` saying, in both languages, what is wrong."""
    spec = SETTINGS_BY_NAME[name]
    if spec.kind is dt.date:
        try:
            return parse_date(raw)
        except ImpossibleDate:
            raise
        except ValueError:
            raise ValueError(catalog.bi("setting.error.date")) from None
    if spec.kind is str and not spec.choices:  # free text (issuing_unit); blank: not set
        text = "" if raw is None else str(raw).strip()
        return text or None
    if spec.kind is str:
        v = choice_of(spec.name, raw)
        if v is None:
            raise ValueError(catalog.bi("setting.error.choices", choices=join_bi(
                [catalog.bi(f"choice.{spec.name}.{c}") for c in spec.choices], ", ")))
        return v
    try:
        number = parse_number(raw)
    except ValueError:
        raise ValueError(catalog.bi("setting.error.number")) from None
    if spec.kind is int:
        if number != int(number):
            raise ValueError(catalog.bi("setting.error.whole"))
        number = int(number)
    if spec.low is not None and not (spec.low <= number <= spec.high):
        raise ValueError(catalog.bi("setting.error.range", low=spec.low, high=spec.high))
    return number


def settings_from(values: Mapping[str, Any], base: Settings | None = None) -> Settings:
    """Settings from already-parsed values (unknown keys raise KeyError)."""
    base = base or Settings()
    for key in values:
        if key not in SETTINGS_BY_NAME:
            raise KeyError(key)
    return dataclasses.replace(base, **values)


@dataclass(frozen=True, slots=True)
class SourceFile:
    name: str
    sha256: str


@dataclass(frozen=True)
class Roster:
    """Everything read from the coordinator's files, checked. ``warnings`` are the
    non-blocking issues (they are printed in the plan's Input warnings sheet)."""

    returnees: tuple[Returnee, ...]
    mentors: tuple[Mentor, ...]
    jobs: tuple[Job, ...] = ()
    trainings: tuple[Training, ...] = ()
    pairs: tuple[PairRule, ...] = ()
    settings: Settings = field(default_factory=Settings)
    loan_pools: tuple[LoanPool, ...] = ()
    # skills and sectors are compared folded ("lai xe"); how the coordinator wrote them
    # ("lái xe"), so that explanations say them with their accents
    spellings: Mapping[str, str] = field(default_factory=dict, compare=False)

    def spelling(self, folded: str) -> str:
        return self.spellings.get(folded, folded)
    warnings: tuple[Any, ...] = field(default=(), compare=False)
    sources: tuple[SourceFile, ...] = field(default=(), compare=False)

    def with_settings(self, **changes: Any) -> Roster:
        return dataclasses.replace(self, settings=self.settings.replace(**changes))

    def returnee(self, rid: str) -> Returnee:
        return self._index("returnees")[rid]

    def mentor(self, mid: str) -> Mentor:
        return self._index("mentors")[mid]

    def job(self, jid: str) -> Job:
        return self._index("jobs")[jid]

    def training(self, tid: str) -> Training:
        return self._index("trainings")[tid]

    def _index(self, name: str) -> dict[str, Any]:
        cache = self.__dict__.setdefault("_indexes", {})
        if name not in cache:
            cache[name] = {o.id: o for o in getattr(self, name)}
        return cache[name]

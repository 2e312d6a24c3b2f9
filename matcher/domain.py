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
from typing import Any

from matcher.text import fold
from matcher.values import parse_date, parse_number

OFFENSES = ("drugs", "property", "violence", "fraud", "traffic", "other")
GENDERS = ("M", "F")
SPECIALTIES = ("drugs", "youth", "women", "jobs", "legal")
SHIFTS = ("day", "night", "any")
COURSE_SCHEDULES = ("day", "evening")
GENDER_RULES = ("women_to_women", "same_gender", "none")
RISK_NAMES = {1: "low", 2: "medium", 3: "high"}
LOAN_PURPOSES = ("business", "other")  # production or business (the programme's), other


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
            raise ValueError(f"latitude {self.lat} outside -90..90")
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            raise ValueError(f"longitude {self.lon} outside -180..180")


def _check_person(obj: Any) -> None:
    if not obj.id:
        raise ValueError("id is empty")
    if not obj.full_name:
        raise ValueError("full_name is empty")
    if obj.gender not in GENDERS:
        raise ValueError(f"gender must be one of {GENDERS}, not {obj.gender!r}")
    if not 1900 <= obj.birth_year <= 2100:
        raise ValueError(f"birth_year {obj.birth_year} outside 1900..2100")


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
            raise ValueError("loan_amount must be > 0")
        if self.loan_purpose not in LOAN_PURPOSES:
            raise ValueError(f"loan_purpose must be one of {LOAN_PURPOSES}")
        if self.offense not in OFFENSES:
            raise ValueError(f"offense must be one of {OFFENSES}, not {self.offense!r}")
        if self.risk not in (1, 2, 3):
            raise ValueError(f"risk must be 1, 2 or 3, not {self.risk!r}")
        if self.max_commute_km is not None and not self.max_commute_km >= 0:
            raise ValueError("max_commute_km must be >= 0")

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
            raise ValueError("capacity must be >= 0")
        if self.hours_per_month is not None and not self.hours_per_month >= 0:
            raise ValueError("hours_per_month must be >= 0")
        if self.max_risk not in (1, 2, 3):
            raise ValueError("max_risk must be 1, 2 or 3")
        if self.max_km is not None and not self.max_km >= 0:
            raise ValueError("max_km must be >= 0")
        unknown = set(self.specialties) - set(SPECIALTIES)
        if unknown:
            raise ValueError(f"unknown specialties {sorted(unknown)}")


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
            raise ValueError("id, employer and sector are required")
        if self.slots < 0:
            raise ValueError("slots must be >= 0")
        if self.shift not in SHIFTS:
            raise ValueError(f"shift must be one of {SHIFTS}")
        if set(self.excluded_offenses) - set(OFFENSES):
            raise ValueError("unknown offense in excluded_offenses")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age > max_age")


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
            raise ValueError("id, provider and sector are required")
        if self.seats < 0:
            raise ValueError("seats must be >= 0")
        if self.schedule not in COURSE_SCHEDULES:
            raise ValueError(f"schedule must be one of {COURSE_SCHEDULES}")


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
            raise ValueError("returnee_id is required")
        if sum(x is not None for x in (self.mentor_id, self.job_id, self.training_id)) != 1:
            raise ValueError("exactly one of mentor_id, job_id and training_id is required")
        if self.rule not in (None, "require", "forbid"):
            raise ValueError("rule must be require or forbid")
        if self.travel_minutes is not None and not self.travel_minutes >= 0:
            raise ValueError("travel_minutes must be >= 0")
        if self.visit_hours_per_month is not None and not self.visit_hours_per_month >= 0:
            raise ValueError("visit_hours_per_month must be >= 0")

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
            raise ValueError("id is empty")
        if not self.wards:
            raise ValueError("a capital pool covers at least one ward")
        if self.capital < 0:
            raise ValueError("capital must be >= 0")


@dataclass(frozen=True, slots=True)
class SettingSpec:
    name: str
    kind: type
    default: Any
    help_en: str
    help_vi: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()


# Every setting, its default and its meaning. Weights of lower tiers: 0 switches the term off.
SETTING_SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("plan_date", dt.date, None, "Date the plan starts (default: today).",
                "Ngày bắt đầu kế hoạch (mặc định: hôm nay)."),
    SettingSpec("mentor_max_km", float, 5.0, "Furthest distance between mentor and mentee (km).",
                "Khoảng cách tối đa giữa cựu chiến binh và người được giúp (km).", 0, 1000),
    SettingSpec("job_max_km", float, 15.0, "Longest commute to a job (km).",
                "Quãng đường đi làm tối đa (km).", 0, 1000),
    SettingSpec("training_max_km", float, 20.0, "Furthest distance to a training course (km).",
                "Khoảng cách tối đa tới nơi học nghề (km).", 0, 1000),
    SettingSpec("gender_rule", str, "women_to_women",
                "women_to_women: female returnees only with female mentors; same_gender; none.",
                "women_to_women: nữ chỉ ghép với cựu chiến binh nữ; same_gender: cùng giới; "
                "none: không ràng buộc.", choices=GENDER_RULES),
    SettingSpec("cadence_high_days", int, 7, "Days between visits for high risk.",
                "Số ngày giữa hai lần thăm với nguy cơ cao.", 1, 90),
    SettingSpec("cadence_medium_days", int, 14, "Days between visits for medium risk.",
                "Số ngày giữa hai lần thăm với nguy cơ trung bình.", 1, 90),
    SettingSpec("cadence_low_days", int, 28, "Days between visits for low risk.",
                "Số ngày giữa hai lần thăm với nguy cơ thấp.", 1, 180),
    SettingSpec("first_visit_days", int, 7, "First visit within this many days of release.",
                "Lần thăm đầu trong vòng số ngày này sau khi về.", 1, 60),
    SettingSpec("visit_minutes", float, 60.0, "Length of one visit (minutes).",
                "Thời lượng một lần thăm (phút).", 1, 600),
    SettingSpec("travel_speed_kmh", float, 20.0, "Travel speed for travel time (km/h).",
                "Tốc độ di chuyển để tính thời gian đi lại (km/h).", 1, 200),
    SettingSpec("horizon_weeks", int, 4, "Weeks of visits to schedule.",
                "Số tuần lập lịch thăm.", 1, 26),
    SettingSpec("confirm_after_days", int, 0,
                "On a rerun, pairs older than this many days count as confirmed (0: only "
                "pairs marked confirmed).",
                "Khi chạy lại, cặp lâu hơn số ngày này được coi là đã xác nhận (0: chỉ cặp "
                "được đánh dấu).", 0, 3650),
    SettingSpec("time_limit_s", float, 60.0, "Solver time limit per stage (seconds).",
                "Giới hạn thời gian cho mỗi bước giải (giây).", 0.1, 3600),
    SettingSpec("candidates_k", int, 20,
                "Cheapest candidate pairs per returnee given to the flow first; a reduced-cost "
                "certificate adds any other pair that could improve the plan, so the answer "
                "does not depend on it (only the speed).",
                "Số cặp ứng viên tốt nhất của mỗi người đưa vào bài toán luồng trước; chứng "
                "nhận chi phí rút gọn bổ sung mọi cặp khác có thể cải thiện kế hoạch.", 5, 100000),
    SettingSpec("weight_specialty", int, 3,
                "M4: points when the mentor's specialty fits (drugs/women/youth).",
                "M4: điểm khi chuyên môn phù hợp (ma túy/phụ nữ/thanh niên).", 0, 1000),
    SettingSpec("weight_same_ward", int, 2, "M4: points when mentor and mentee share a ward.",
                "M4: điểm khi cùng phường/xã.", 0, 1000),
    SettingSpec("weight_affinity", int, 1, "M4: multiplier of Pairs affinity points.",
                "M4: hệ số điểm ưu tiên trong trang Cặp chỉ định.", 0, 1000),
    SettingSpec("weight_spread", int, 1,
                "M4: penalty per extra mentee beyond a mentor's first (spreads the load).",
                "M4: điểm trừ cho mỗi người thêm sau người đầu tiên (chia đều).", 0, 1000),
    SettingSpec("weight_travel", int, 1, "M5: weight of total mentor travel (0: off).",
                "M5: trọng số tổng quãng đường (0: tắt).", 0, 1000),
    SettingSpec("weight_job_skill", int, 3,
                "J4: points when the job's or course's sector is among the returnee's skills.",
                "J4: điểm khi ngành phù hợp kỹ năng.", 0, 1000),
    SettingSpec("weight_job_away", int, 2,
                "J4: points when a returnee who wants work away from home gets it.",
                "J4: điểm khi người muốn làm xa nơi ở được đáp ứng.", 0, 1000),
    SettingSpec("weight_commute", int, 1, "J4: weight of commute distance (0: off).",
                "J4: trọng số quãng đường đi làm (0: tắt).", 0, 1000),
    # Preferential loans: Decision 22/2023/QĐ-TTg as we read it — check the current rules
    SettingSpec("loan_max_vnd", int, 100_000_000,
                "Most one person may borrow (VND; Decision 22/2023/QĐ-TTg: 100 million — "
                "check the current rules).",
                "Mức vay tối đa của một người (đồng; Quyết định 22/2023/QĐ-TTg: 100 triệu — "
                "cần đối chiếu quy định hiện hành).", 0, 10**12),
    SettingSpec("loan_window_years", int, 3,
                "Years after completing the sentence within which one may apply (Decision "
                "22/2023/QĐ-TTg: 3 — check the current rules).",
                "Số năm kể từ ngày chấp hành xong án còn được vay (Quyết định 22/2023/QĐ-TTg: "
                "3 — cần đối chiếu quy định hiện hành).", 0, 50),
    SettingSpec("loan_employer_per_worker_vnd", int, 100_000_000,
                "Most a business may borrow per such worker it employs (VND; check the current "
                "rules).",
                "Mức vay tối đa của doanh nghiệp cho mỗi người lao động là người chấp hành xong "
                "án (đồng; cần đối chiếu quy định hiện hành).", 0, 10**12),
    SettingSpec("loan_employer_max_vnd", int, 10_000_000_000,
                "Most one business may borrow (VND; check the current rules).",
                "Mức vay tối đa của một doanh nghiệp (đồng; cần đối chiếu quy định hiện hành).",
                0, 10**13),
    SettingSpec("weight_loan_no_job", int, 4,
                "L2: points for a person without a job placement in this plan.",
                "L2: điểm ưu tiên cho người chưa có việc làm trong kế hoạch này.", 0, 1000),
    SettingSpec("weight_loan_poor", int, 2, "L2: points for a poor household.",
                "L2: điểm ưu tiên cho hộ nghèo.", 0, 1000),
    SettingSpec("weight_loan_risk", int, 1, "L2: points per risk level (1-3).",
                "L2: điểm ưu tiên theo mức nguy cơ (1-3).", 0, 1000),
    SettingSpec("weight_loan_window", int, 1,
                "L2: points when the time to apply ends within loan_window_soon_days.",
                "L2: điểm ưu tiên khi thời hạn được vay sắp hết.", 0, 1000),
    SettingSpec("report_since", dt.date, None,
                "The committee report counts people received since this date (default: 1 "
                "January of the plan's year).",
                "Báo cáo tính số người tiếp nhận từ ngày này (mặc định: 1 tháng 1 của năm "
                "lập kế hoạch)."),
    SettingSpec("report_period_days", int, 30,
                "Days before the plan date that make up this reporting period.",
                "Số ngày trước ngày lập kế hoạch tính là kỳ báo cáo này.", 1, 366),
    SettingSpec("loan_window_soon_days", int, 180,
                "Days before the end of the time to apply that count as closing soon.",
                "Số ngày trước khi hết thời hạn được vay coi là sắp hết.", 0, 3650),
    SettingSpec("issuing_unit", str, None,
                "Issuing unit printed at the top left of the documents to sign (default: "
                "BAN CHỈ ĐẠO 138 and the ward's name; a line break puts a superior body "
                "above it).",
                "Tên cơ quan ban hành in ở góc trên bên trái các văn bản để ký (để trống: "
                "BAN CHỈ ĐẠO 138 và tên phường, xã; xuống dòng để ghi thêm cơ quan cấp "
                "trên ở dòng đầu)."),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTING_SPECS}


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
                raise ValueError(f"{spec.name} must be one of {spec.choices}")
            if spec.low is not None and not (spec.low <= value <= spec.high):
                raise ValueError(f"{spec.name} must be between {spec.low:g} and {spec.high:g}")

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
    """Parse one setting value from text or a cell; raises ValueError with a plain message."""
    spec = SETTINGS_BY_NAME[name]
    if spec.kind is dt.date:
        return parse_date(raw)
    if spec.kind is str and not spec.choices:  # free text (issuing_unit); blank: not set
        text = "" if raw is None else str(raw).strip()
        return text or None
    if spec.kind is str:
        v = fold(raw).replace(" ", "_")
        aliases = {"nu_voi_nu": "women_to_women", "cung_gioi": "same_gender",
                   "khong": "none"}
        v = aliases.get(v, v)
        if v not in spec.choices:
            raise ValueError(f"must be one of {', '.join(spec.choices)}")
        return v
    number = parse_number(raw)
    if spec.kind is int:
        if number != int(number):
            raise ValueError("must be a whole number")
        number = int(number)
    if spec.low is not None and not (spec.low <= number <= spec.high):
        raise ValueError(f"must be between {spec.low:g} and {spec.high:g}")
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

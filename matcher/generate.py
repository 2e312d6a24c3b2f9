"""Synthetic but realistic rosters for demos, tests and the benchmark (SPEC §8, §10).

Never real people: names are drawn from public name lists, places are the real 2025
communes and wards of Thanh Hóa (``data/gazetteer``), everything else is random with the
mixes below. The same ``(scale, seed, plan_date)`` always gives the same
:class:`~matcher.domain.Roster` (one ``numpy.random.default_rng(seed)`` stream, drawn in a
fixed order; nothing depends on dict or set iteration order) and therefore the same
cells in the written workbook.

Scales (returnees / mentors / job openings; courses ≈ 1 per 25 returnees; Pairs rows
≈ 1 % of returnees, at least 4):

========  =========  =========  ========  ==========================================
scale     returnees  mentors    openings  area
========  =========  =========  ========  ==========================================
ward      40         80         30        one urban ward and its neighbours ≤ 6 km
city      1,000      2,000      400       former Thanh Hóa city: units ≤ 12 km of
                                          19.80 N, 105.78 E
province  10,000     20,000     4,000     all of Thanh Hóa
national  100,000    150,000    40,000    the 34 provinces, by number of communes
========  =========  =========  ========  ==========================================

Locations
    People, employers and courses sit in a gazetteer unit drawn with weights (people:
    phường 4, xã 1, mountain xã west of 105.3 E 0.6; employers: phường 6, xã 1;
    courses: phường 8, xã 0.5), jittered around the unit point (normal, 1.2 km per
    axis, ≈ 1.5 km on average) and rounded to 5 decimals; the ward is the 2025 unit
    name. 10 % of people (15 % of employers and courses) have no lat/lon: their
    location is the ward point (``from_ward_point``; ``unreliable`` when the gazetteer
    flags that point) — except in the 19 units whose short name also names another
    unit, now or before 2025 (e.g. Phường Đông Sơn), which always get lat/lon because
    the name alone is ambiguous. The three units whose gazetteer point is misplaced
    (Ba Đình, Lam Sơn, Ngọc Trạo) are never used. At national scale the 33 other provinces get
    people in proportion to their number of communes, jittered 20 km per axis around
    the province point, with no ward (explicit lat/lon); Thanh Hóa's share uses its
    wards as above. Mentors live where returnees live, with a per-unit factor
    (lognormal, σ 0.6: veterans' associations are stronger in some places). Coverage
    possible (maximum matching on the 30 nearest feasible mentors, ignoring hour
    budgets and groups, seed 3): ward, city, province 100 %, national 98.5 %.
Returnees
    10 % women; born 1960–2006 (age ≈ normal 35 ± 9); offense drugs 35 %, property
    30 %, violence 12 %, fraud 8 %, traffic 5 %, other 10 %; risk low/medium/high
    40/40/20 overall, by offense: drugs 25/45/30, violence 30/40/30, traffic 70/25/5,
    others 50/38/12; release uniform from 18 months before plan_date to 2 months after
    (future = pre-release planning), plus 10 % on the last 2 September amnesty; 0–3
    skills (20 % none) from the sectors below, weighted by gender; wants a job 80 %,
    training 25 %, work away from home 15 %, needs a loan 20 %, max commute on 25 %
    (3–15 km); availability on half (75 % Vietnamese form, 25 % English, see
    Availability); ≈ 5 % in co-offender groups of 2–4 (same offense, release within two
    months, 70 % same ward, otherwise a unit ≤ 8 km away).
Mentors (veterans)
    15 % women; born 1950–1980 (≈ normal 1962 ± 6.5); capacity 1/2/3/4/5 with
    12/45/33/7/3 %; hours_per_month 8–20 on 25 %; max_risk 3/2/1 with 60/30/10 %;
    specialties drugs 20 %, youth 15 %, jobs 20 %, legal 10 %, women 70 % of women
    (3 % of men); own max_km 2–4 on 8 %; phone on 90 % (09xxxxxxxx, some 03/08);
    availability on half (see Availability); 3 % inactive.
Availability
    Written to fit the visit scheduler (matcher.schedule), where a day-shift job blocks
    Mon–Sat mornings and afternoons and a blank cell means any daytime slot. Returnees
    who want a job mostly give evenings and weekends (≈ 86 %: ``T2-T6 tối; T7; CN`` /
    ``Mon-Fri evening; Sat-Sun``, ``T2-T7 tối; CN``, ``sau 17h; CN``, ``T7; CN``, ``CN``
    …), the rest weekday daytime only (``T2-T6 sáng``, ``T2, T4, T6 chiều``), which
    leaves nothing once they start a day shift. Other returnees are mixed (daily, weekday
    mornings or afternoons, a few evenings or Sunday mornings). Mentors, mostly retired
    veterans, are free in the daytime on most days, many also some evenings or on
    Sunday (≈ 73 %: ``hàng ngày``, ``hàng ngày; tối T2-T6``, ``T2-T7; CN sáng``, ``cả
    ngày T2-T6; CN`` …); 8 % still work (evenings and weekends), 7 % never on Sunday and
    12 % only a few mornings (``T2-T6 sáng``, ``T3, T5, T7 sáng``). Weights are in
    :data:`AVAILABILITY_JOB_SEEKER`, :data:`AVAILABILITY_RETURNEE_OTHER` and
    :data:`AVAILABILITY_MENTOR`. On the city roster (seed 1) about 9 first visits in 10
    find a slot within ``first_visit_days``; the others are listed as unscheduled with
    their reason (no common free slot, a mentor's full days), as a real roster would
    have.
Jobs
    Openings grouped by employer (1–5 openings each, 45/25/15/10/5 %), named after the
    sector ("Công ty TNHH May Hưng Phát", "Công ty CP Xi măng …", bank branches for
    guard jobs); slots 1–6 (mean ≈ 2.5); 85 % of an employer's openings in its own
    sector, the rest support roles (guard, driver, cleaning, warehouse, canteen);
    entry-level, night and any-shift shares by sector (garment 55 % entry level,
    guards 45 % night, …); excluded offenses: bank guards fraud+property, guard
    companies 40 % property+violence, drivers 60 % traffic (half also drugs), sales
    30 % fraud+property, warehouses 30 % property, hotels 20 % property, others 4 %
    drugs; min_age 18 on 30 %; max_age on factory jobs (35–45, 60 %) and others
    (45–55, 15 %); start date on half (−30…+60 days).
Training
    Vocational schools and job centres; seats 15–25; start −21…+120 days; 30 % evening.
Pairs
    Forbid ≈ 40 %, affinity ≈ 33 % (some with travel_minutes or
    visit_hours_per_month), job rows ≈ 15 % (forbid or affinity) and ≈ 12 % require —
    each require is feasible (active mentor with free capacity and no hour limit, within
    4.8 km and the mentor's max_km, risk ≤ max_risk, woman with a woman) and uses its
    own returnee and mentor. Never two rows for the same pair, so never require and
    forbid together.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from matcher.domain import (
    OFFENSES,
    SPECIALTIES,
    Job,
    Location,
    Mentor,
    PairRule,
    Returnee,
    Roster,
    Settings,
    Training,
)
from matcher.text import fold

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_PLAN_DATE = dt.date(2026, 12, 1)
EARTH_KM = 6371.0088
KM_PER_DEG = 111.32


@dataclass(frozen=True)
class Scale:
    returnees: int
    mentors: int
    openings: int
    region: str  # ward | city | province | national
    trainings: int | None = None  # default: about one course per 25 returnees
    pairs: int | None = None  # default: about 1 % of returnees, at least 4

    @property
    def n_trainings(self) -> int:
        return self.trainings if self.trainings is not None else max(
            1, round(self.returnees / 25))

    @property
    def n_pairs(self) -> int:
        return self.pairs if self.pairs is not None else max(4, round(self.returnees / 100))


SCALES: dict[str, Scale] = {
    "ward": Scale(40, 80, 30, "ward"),
    "city": Scale(1_000, 2_000, 400, "city"),
    "province": Scale(10_000, 20_000, 4_000, "province"),
    "national": Scale(100_000, 150_000, 40_000, "national"),
}
SAMPLE = Scale(120, 200, 40, "city", trainings=6, pairs=12)
SAMPLE_SEED = 2026


def planned_counts(scale: str | Scale) -> dict[str, int]:
    """What :func:`generate_roster` makes at ``scale``, without generating it."""
    s = SCALES[scale] if isinstance(scale, str) else scale
    return {"returnees": s.returnees, "mentors": s.mentors, "jobs": s.openings,
            "trainings": s.n_trainings, "pairs": s.n_pairs}


# ---------------------------------------------------------------------------- sectors

@dataclass(frozen=True)
class _Sector:
    name: str
    jobs: float  # weight among employers
    men: float  # weight among men's skills
    women: float  # weight among women's skills
    training: float  # weight among courses
    entry: float  # share of entry-level openings
    night: float  # share of night-shift openings
    any_shift: float  # share of any-shift openings
    employers: tuple[str, ...]  # name templates: {b} brand, {p} place


# Sectors of Thanh Hóa's economy (garment and footwear factories, construction and
# cement, Nghi Sơn industry, seafood, farming, Sầm Sơn tourism, services). Names carry
# no ',', ';', '/' or '|' because those separate items in a skills cell.
SECTORS: tuple[_Sector, ...] = (
    _Sector("may mặc", 16, 3, 30, 3, .55, .03, .07,
            ("Công ty TNHH May {b}", "Công ty CP May {b}")),
    _Sector("giày da", 9, 3, 15, 0, .60, .03, .07,
            ("Công ty TNHH Giày {b}", "Công ty CP Giày da {b}")),
    _Sector("xây dựng", 14, 25, 2, 0, .40, 0, .10,
            ("Công ty CP Xây dựng {b}", "Công ty TNHH Xây dựng và Thương mại {b}")),
    _Sector("chế biến thủy sản", 5, 4, 10, 0, .60, .20, .10,
            ("Công ty CP Thủy sản {b}", "Công ty TNHH Chế biến Hải sản {b}")),
    _Sector("nông nghiệp", 6, 15, 12, 2, .60, 0, .05,
            ("HTX Nông nghiệp {p}", "Công ty CP Nông sản {b}")),
    _Sector("cơ khí", 7, 12, .5, 2, .15, .05, .10,
            ("Công ty TNHH Cơ khí {b}", "Xưởng cơ khí {b}")),
    _Sector("hàn", 3, 8, .3, 2, .10, .05, .10,
            ("Công ty TNHH Kết cấu thép {b}", "Công ty CP Cơ khí Xây lắp {b}")),
    _Sector("điện dân dụng", 4, 10, .5, 2, .10, 0, .10,
            ("Công ty TNHH Điện nước {b}", "Công ty CP Điện lạnh {b}")),
    _Sector("lái xe", 5, 12, .5, 1.5, 0, .15, .35,
            ("Công ty TNHH Vận tải {b}", "HTX Vận tải {p}")),
    _Sector("dịch vụ ăn uống", 8, 5, 14, 1.5, .40, .02, .40,
            ("Nhà hàng {b}", "Công ty TNHH Dịch vụ ăn uống {b}")),
    _Sector("bán hàng", 7, 4, 16, .5, .40, 0, .30,
            ("Siêu thị {b}", "Công ty TNHH Thương mại {b}")),
    _Sector("vật liệu xây dựng", 5, 8, 1, 0, .45, .20, .30,
            ("Công ty CP Xi măng {b}", "Công ty TNHH Gạch Tuynel {b}",
             "Công ty CP Vật liệu xây dựng {b}")),
    _Sector("bảo vệ", 4, 7, .5, 0, .50, .45, .20,
            ("Công ty TNHH Dịch vụ Bảo vệ {b}", "Ngân hàng {bank} Chi nhánh {p}")),
    _Sector("mộc", 3, 6, .5, 1, .20, 0, .05,
            ("Xưởng mộc {b}", "Công ty TNHH Đồ gỗ {b}")),
    _Sector("sửa chữa xe máy", 2, 7, .3, 1.5, .10, 0, .10,
            ("Cửa hàng sửa chữa xe máy {b}",)),
    _Sector("kho vận", 4, 6, 2, 0, .60, .25, .20,
            ("Công ty TNHH Kho vận {b}", "Công ty CP Logistics {b}")),
    _Sector("vệ sinh công nghiệp", 3, 2, 6, 0, .85, .10, .20,
            ("Công ty TNHH Vệ sinh công nghiệp {b}", "Công ty CP Môi trường đô thị {p}")),
    _Sector("chăn nuôi", 2, 5, 5, 1, .50, 0, .10,
            ("Trang trại chăn nuôi {b}", "HTX Chăn nuôi {p}")),
    _Sector("lắp ráp điện tử", 4, 2, 8, 1, .60, .15, .10,
            ("Công ty TNHH Điện tử {b}", "Công ty TNHH Linh kiện điện tử {b}")),
    _Sector("du lịch khách sạn", 3, 2, 6, 1, .45, .10, .30,
            ("Khách sạn {b}", "Công ty CP Du lịch {b}")),
)
SECTOR_NAMES = tuple(s.name for s in SECTORS)
_SECTOR_INDEX = {s.name: i for i, s in enumerate(SECTORS)}
_SECTOR_KEYS = tuple(fold(s.name) for s in SECTORS)
_SUPPORT_SECTORS = np.array([_SECTOR_INDEX[n] for n in (
    "bảo vệ", "lái xe", "vệ sinh công nghiệp", "kho vận", "dịch vụ ăn uống")])
_FACTORY = {"may mặc", "giày da", "lắp ráp điện tử", "chế biến thủy sản"}

BRANDS = (
    "Hưng Phát", "Thành Công", "Việt Hưng", "An Phát", "Đại Dương", "Tân Long", "Hồng Hà",
    "Minh Anh", "Trường Thịnh", "Phú Quý", "Thịnh Vượng", "Hoàng Long", "Sông Mã",
    "Lam Kinh", "Xứ Thanh", "Đông Á", "Nam Việt", "Hải Tiến", "Quang Minh", "Hòa Bình",
    "Tiến Đạt", "Kim Long", "Bình Minh", "Toàn Thắng", "Gia Phát", "Hùng Cường", "Phúc Lộc",
    "Tân Thành", "Thái Sơn", "Đức Thành", "Vạn Xuân", "Sao Mai", "Hưng Thịnh", "Thiên Long",
    "Thành Đạt", "Mạnh Hùng", "Phương Đông", "Á Châu", "Hoàng Gia", "Lộc Phát", "Nhật Quang",
    "Việt Nhật", "Hàn Việt", "Trường An", "Bảo Minh", "Đông Phương", "Tuấn Anh", "Hà Thanh",
    "Quốc Bảo", "Ngọc Lan",
)
BANKS = ("Agribank", "BIDV", "Vietcombank", "VietinBank", "Techcombank", "MB", "Sacombank",
         "VPBank")
PROVIDERS = (
    "Trung tâm GDNN-GDTX {p}", "Trường Cao đẳng Nghề {prov}",
    "Trung tâm Dịch vụ việc làm {prov}", "Trường Cao đẳng Công nghiệp {prov}",
    "Trung tâm Dạy nghề Hội Nông dân {prov}",
)

# Availability phrasings as (weight, Vietnamese, English); read by matcher.availability,
# where a day without a time of day means its morning and afternoon.
Phrases = tuple[tuple[float, str, str], ...]
# Returnees who want a job: they will mostly work a day shift (Mon–Sat daytime), so they
# give evenings and weekends; a minority give weekday daytime only ("awkward": nothing left
# once a day-shift job is found).
AVAILABILITY_JOB_SEEKER: Phrases = (
    (0.20, "T2-T6 tối; T7; CN", "Mon-Fri evening; Sat-Sun"),
    (0.14, "T2-T7 tối; CN", "Mon-Sat evening; Sun"),
    (0.12, "tối hàng ngày; CN cả ngày", "evenings; Sun all day"),
    (0.10, "sau 17h; CN", "after 5pm; Sun"),
    (0.10, "T7; CN", "weekends"),
    (0.08, "T2-T6 tối; cuối tuần cả ngày", "weekday evenings; weekends all day"),
    (0.07, "CN", "Sun"),
    (0.05, "T2, T4, T6 tối; CN sáng", "Mon, Wed, Fri evening; Sun morning"),
    (0.06, "T2-T6 sáng", "Mon-Fri morning"),
    (0.04, "T2, T4, T6 chiều", "Mon, Wed, Fri afternoon"),
    (0.04, "T3, T5 chiều", "Tue, Thu afternoon"),
)
# Other returnees (training only, or neither): mixed.
AVAILABILITY_RETURNEE_OTHER: Phrases = (
    (0.16, "hàng ngày", "daily"),
    (0.12, "T2-T6 sáng", "Mon-Fri morning"),
    (0.12, "T2-T6 chiều", "Mon-Fri afternoon"),
    (0.12, "T2-T7", "Mon-Sat"),
    (0.10, "T2-T6 tối; T7; CN", "Mon-Fri evening; Sat-Sun"),
    (0.10, "T7 chiều; CN sáng", "Sat afternoon; Sun morning"),
    (0.10, "T2, T4, T6 chiều", "Mon, Wed, Fri afternoon"),
    (0.10, "T3, T5 tối", "Tue, Thu evening"),
    (0.08, "CN sáng", "Sun morning"),
)
# Mentors are mostly retired veterans: free in the daytime on most days, many also some
# evenings or at the weekend; a few still work (evenings and weekends) or are free only
# a few mornings (awkward).
AVAILABILITY_MENTOR: Phrases = (
    (0.18, "hàng ngày", "daily"),
    (0.12, "hàng ngày; tối T2-T6", "daily; Mon-Fri evening"),
    (0.10, "T2-T7; CN sáng", "Mon-Sat; Sun morning"),
    (0.10, "cả ngày T2-T6; CN", "Mon-Fri all day; Sun"),
    (0.08, "T2-T6; T7, CN cả ngày", "Mon-Fri; Sat-Sun all day"),
    (0.08, "sáng, chiều, tối T3, T5, T7; CN", "Tue, Thu, Sat all day; Sun"),
    (0.07, "T2-T6 chiều; tối hàng ngày; CN", "Mon-Fri afternoon; evenings; Sun"),
    (0.08, "T2-T6 tối; T7; CN", "Mon-Fri evening; Sat-Sun"),
    (0.07, "hàng ngày trừ CN", "daily except Sun"),
    (0.06, "T2-T6 sáng", "Mon-Fri morning"),
    (0.06, "T3, T5, T7 sáng", "Tue, Thu, Sat morning"),
)
# Draw sizes of the generator's first availability version: the draws are kept (same
# calls, same bounds) so every other column of a roster stays the same for a seed.
_AVAIL_DRAWS_RETURNEE = (9, 7)
_AVAIL_DRAWS_MENTOR = (8, 5)

REASONS_REQUIRE = ("Gia đình đề nghị", "Đã giúp đỡ từ trong trại", "Ban Chỉ đạo phân công",
                   "Người thân của cựu chiến binh bảo lãnh")
REASONS_FORBID = ("Có quan hệ họ hàng", "Gia đình là bị hại trong vụ án",
                  "Hai gia đình có mâu thuẫn", "Cựu chiến binh từ chối",
                  "Từng xảy ra xô xát")
REASONS_AFFINITY = ("Cùng quê", "Quen biết gia đình", "Cùng đơn vị cũ với bố",
                    "Cùng tổ dân phố", "Đã nhận giúp anh trai trước đây")
REASONS_JOB_FORBID = ("Chủ cơ sở là bị hại trong vụ án", "Từng bị cho nghỉ việc tại đây")
REASONS_JOB_AFFINITY = ("Từng làm việc tại đây", "Doanh nghiệp đã nhận lời")

_OFFENSE_P = np.array([.35, .30, .12, .08, .05, .10])  # order of OFFENSES
_RISK_P = {"drugs": (.25, .45, .30), "violence": (.30, .40, .30), "traffic": (.70, .25, .05)}
_RISK_OTHER = (.50, .38, .12)


# ---------------------------------------------------------------------------- reference data

def _nfc(s: str) -> str:
    """NFC, and the Vietnamese Đ where the name lists have the look-alike Icelandic Ð
    (U+00D0, 181 given names), which accent folding would not turn into D."""
    s = unicodedata.normalize("NFC", s.strip())
    return s.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")


@dataclass(frozen=True)
class _Names:
    surnames: tuple[str, ...]
    surname_p: np.ndarray
    male: tuple[str, ...]
    female: tuple[str, ...]


@lru_cache(maxsize=1)
def _names() -> _Names:
    """Surnames by their population share (top 14; 'Huỳnh/Hoàng' and 'Vũ/Võ' split
    20/80 as in the North), the rest sharing what is left uniformly."""
    top: list[tuple[str, float]] = []
    rest: list[str] = []
    with (DATA_DIR / "names" / "surnames.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name, pct = _nfc(row["Romanized Name"]), row["Percent"].strip()
            if pct:
                parts = name.split("/")
                shares = (0.2, 0.8) if len(parts) == 2 else (1.0,)
                top += [(_nfc(p), float(pct) * s) for p, s in zip(parts, shares)]
            else:
                rest.append(name)
    left = 1.0 - sum(p for _, p in top)
    names = tuple([n for n, _ in top] + rest)
    probs = np.array([p for _, p in top] + [left / len(rest)] * len(rest))

    def lines(fname: str) -> tuple[str, ...]:
        text = (DATA_DIR / "names" / fname).read_text(encoding="utf-8")
        return tuple(_nfc(x) for x in text.splitlines() if x.strip())

    return _Names(names, probs / probs.sum(), lines("given_male.txt"),
                  lines("given_female.txt"))


@dataclass(frozen=True)
class _Units:
    """Places people can live in: gazetteer units (ward name set) or, at national
    scale, whole provinces (ward None, wide jitter)."""

    ward: tuple[str | None, ...]
    place: tuple[str, ...]  # short name for company/school names
    province: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    flagged: np.ndarray  # the gazetteer marks the point as doubtful
    clash: np.ndarray  # the name is shared with another unit, old or new: always give lat/lon
    jitter_km: np.ndarray  # per-axis standard deviation
    w_people: np.ndarray
    w_jobs: np.ndarray
    w_training: np.ndarray

    def __len__(self) -> int:
        return len(self.lat)

    def subset(self, idx: np.ndarray, boost: np.ndarray | None = None) -> _Units:
        def pick(t: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(t[i] for i in idx)

        b = np.ones(len(idx)) if boost is None else boost
        return _Units(pick(self.ward), pick(self.place), pick(self.province),
                      self.lat[idx], self.lon[idx], self.flagged[idx], self.clash[idx],
                      self.jitter_km[idx],
                      self.w_people[idx] * b, self.w_jobs[idx] * b, self.w_training[idx] * b)


@lru_cache(maxsize=1)
def _thanh_hoa() -> _Units:
    with (DATA_DIR / "gazetteer" / "thanh_hoa_2025_units.csv").open(encoding="utf-8") as f:
        all_rows = list(csv.DictReader(f))
    clash_all = _name_clashes(all_rows)
    # a misplaced point lies in another place: never put anyone there
    keep = [i for i, r in enumerate(all_rows)
            if not r["coord_note"].strip().upper().startswith("MISPLACED")]
    rows = [all_rows[i] for i in keep]
    ward = tuple(_nfc(r["name"]) for r in rows)
    place = tuple(w.split(" ", 1)[1] for w in ward)
    urban = np.array([r["unit_type"].strip() == "phường" for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    lon = np.array([float(r["lon"]) for r in rows])
    mountain = ~urban & (lon < 105.3)
    return _Units(
        ward, place, ("Thanh Hóa",) * len(rows), lat, lon,
        flagged=np.array([bool(r["coord_note"].strip()) for r in rows]),
        clash=clash_all[keep], jitter_km=np.full(len(rows), 1.2),
        w_people=np.where(urban, 4.0, np.where(mountain, 0.6, 1.0)),
        w_jobs=np.where(urban, 6.0, 1.0), w_training=np.where(urban, 8.0, 0.5))


def _name_clashes(rows: list[dict[str, str]]) -> np.ndarray:
    """Units whose short name (accents and prefix ignored) also names another unit, now
    or before 2025 ("Phường Đông Sơn" is a 2025 ward and two former wards that went
    elsewhere). A roster naming them needs lat/lon, so the generator never gives such a
    unit alone."""
    def short(name: str) -> str:
        return fold(name.split(" ", 1)[-1])

    codes: dict[str, set[str]] = {}
    for r in rows:
        codes.setdefault(short(r["name"]), set()).add(r["code"].strip())
    with (DATA_DIR / "gazetteer" / "thanh_hoa_pre2025_to_2025.csv").open(
            encoding="utf-8") as f:
        for m in csv.DictReader(f):
            codes.setdefault(short(m["old_name"]), set()).add(m["new_code"].strip())
    return np.array([len(codes[short(r["name"])] - {r["code"].strip()}) > 0 for r in rows])


def _km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in km (numpy-broadcasting haversine)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def _region(kind: str, rng: np.random.Generator) -> _Units:
    th = _thanh_hoa()
    if kind == "province":
        return th
    if kind == "city":
        return th.subset(np.flatnonzero(_km(19.80, 105.78, th.lat, th.lon) <= 12.0))
    if kind == "ward":
        city = np.flatnonzero(_km(19.80, 105.78, th.lat, th.lon) <= 12.0)
        centres = [i for i in city if th.ward[i].startswith("Phường")
                   and np.sum(_km(th.lat[i], th.lon[i], th.lat, th.lon) <= 6.0) >= 3]
        c = centres[int(rng.integers(len(centres)))]
        near = np.flatnonzero(_km(th.lat[c], th.lon[c], th.lat, th.lon) <= 6.0)
        return th.subset(near, boost=np.where(near == c, 3.0, 1.0))
    if kind == "national":
        return _national(th)
    raise ValueError(f"unknown region {kind!r}")


def _national(th: _Units) -> _Units:
    rows = []
    with (DATA_DIR / "gazetteer" / "vietnam_2025_provinces.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    total = sum(int(r["n_communes"]) for r in rows)
    th_share = next(int(r["n_communes"]) for r in rows if _nfc(r["name_vi"]) == "Thanh Hóa")
    others = [r for r in rows if _nfc(r["name_vi"]) != "Thanh Hóa"]
    n = len(others)
    share = np.array([int(r["n_communes"]) / total for r in others])
    prov = tuple(_nfc(r["name_vi"]) for r in others)

    def weights(w_th: np.ndarray) -> np.ndarray:
        return np.concatenate([w_th / w_th.sum() * th_share / total, share])

    return _Units(
        th.ward + (None,) * n, th.place + prov, th.province + prov,
        np.concatenate([th.lat, [float(r["lat"]) for r in others]]),
        np.concatenate([th.lon, [float(r["lon"]) for r in others]]),
        np.concatenate([th.flagged, np.zeros(n, bool)]),
        np.concatenate([th.clash, np.zeros(n, bool)]),
        np.concatenate([th.jitter_km, np.full(n, 20.0)]),
        weights(th.w_people), weights(th.w_jobs), weights(th.w_training))


# ---------------------------------------------------------------------------- helpers

def _choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    w = np.asarray(weights, float)
    return rng.choice(len(w), size=size, p=w / w.sum())


@dataclass
class _Points:
    unit: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    ward_only: np.ndarray


def _scatter(units: _Units, unit: np.ndarray, rng: np.random.Generator,
             p_ward_only: float) -> _Points:
    lat0, lon0 = units.lat[unit], units.lon[unit]
    jit = units.jitter_km[unit]
    dy, dx = rng.normal(size=(2, len(unit)))
    has_ward = np.array([units.ward[u] is not None for u in unit], bool)
    ward_only = (rng.random(len(unit)) < p_ward_only) & has_ward & ~units.clash[unit]
    lat = np.clip(np.round(lat0 + dy * jit / KM_PER_DEG, 5), -89.9, 89.9)
    lon = np.round(lon0 + dx * jit / (KM_PER_DEG * np.cos(np.radians(lat0))), 5)
    return _Points(unit, np.where(ward_only, lat0, lat), np.where(ward_only, lon0, lon),
                   ward_only)


def _locations(units: _Units, pts: _Points) -> list[Location]:
    out = []
    for u, la, lo, wo in zip(pts.unit.tolist(), pts.lat.tolist(), pts.lon.tolist(),
                             pts.ward_only.tolist()):
        out.append(Location(la, lo, units.ward[u], wo, bool(wo and units.flagged[u])))
    return out


def _full_names(rng: np.random.Generator, female: np.ndarray) -> list[str]:
    nm = _names()
    sur = rng.choice(len(nm.surnames), size=len(female), p=nm.surname_p)
    male_i = rng.integers(len(nm.male), size=len(female))
    female_i = rng.integers(len(nm.female), size=len(female))
    return [f"{nm.surnames[s]} {nm.female[fi] if f else nm.male[mi]}"
            for s, mi, fi, f in zip(sur.tolist(), male_i.tolist(), female_i.tolist(),
                                    female.tolist())]


def _top_k(rng: np.random.Generator, weights: np.ndarray, k: np.ndarray) -> list[list[int]]:
    """For each row of ``weights`` (n × m), ``k[i]`` distinct columns drawn without
    replacement in proportion to the weights (Gumbel top-k, vectorised)."""
    keys = np.log(np.maximum(weights, 1e-12)) + rng.gumbel(size=weights.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    return [row[:j] for row, j in zip(order.tolist(), k.tolist())]


def _availability(rng: np.random.Generator, n: int, tables: list[Phrases],
                  draws: tuple[int, int]) -> list[str | None]:
    """Availability for ``n`` people: given on half (u < 0.5), in English on a quarter;
    person i's phrase is drawn from ``tables[i]`` by weight, using u / 0.5 (uniform on
    [0, 1) when given) as the draw. ``draws`` are the integer bounds of two further draws
    kept only so the rest of the random stream is unchanged."""
    has = rng.random(n)
    use_en = rng.random(n) < 0.25
    rng.integers(draws[0], size=n)
    rng.integers(draws[1], size=n)
    out: list[str | None] = []
    for i, (u, en) in enumerate(zip(has.tolist(), use_en.tolist())):
        if u >= 0.5:
            out.append(None)
            continue
        table = tables[i]
        x = u / 0.5 * sum(w for w, _, _ in table)
        k = 0
        while k < len(table) - 1 and x >= table[k][0]:
            x -= table[k][0]
            k += 1
        out.append(table[k][2] if en else table[k][1])
    return out


def _width(n: int, minimum: int) -> int:
    return max(minimum, len(str(n)))


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return EARTH_KM * np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo),
                                       np.sin(la)])


# ---------------------------------------------------------------------------- people

def _returnees(rng: np.random.Generator, units: _Units, n: int,
               plan_date: dt.date) -> tuple[list[Returnee], _Points]:
    unit = _choice(rng, units.w_people, n)
    female = rng.random(n) < 0.10
    names = _full_names(rng, female)
    age = np.clip(np.round(rng.normal(35, 9, n)), 20, 66).astype(int)
    birth = np.clip(plan_date.year - age, 1960, 2006)
    offense = rng.choice(len(OFFENSES), size=n, p=_OFFENSE_P)
    lo_day, hi_day = -548, 61  # 18 months before plan_date .. 2 months after
    release = rng.integers(lo_day, hi_day + 1, size=n)
    amnesty = dt.date(plan_date.year, 9, 2)
    if amnesty > plan_date:
        amnesty = dt.date(plan_date.year - 1, 9, 2)
    amnesty_day = (amnesty - plan_date).days
    if amnesty_day >= lo_day:
        release = np.where(rng.random(n) < 0.10, amnesty_day, release)

    # co-offender groups: ~5 % of returnees in groups of 2-4
    group: list[str | None] = [None] * n
    sizes: list[int] = []
    while sum(sizes) < 0.05 * n:
        sizes.append(int(rng.choice([2, 3, 4], p=[.55, .30, .15])))
    if sum(sizes) > n:
        sizes = []
    perm = rng.permutation(n)
    neighbours = _unit_neighbours(units, 8.0)
    leaders: dict[int, int] = {}  # member -> leader (for the national point fix below)
    start = 0
    gw = _width(len(sizes), 3)
    for g, size in enumerate(sizes):
        members = perm[start:start + size].tolist()
        start += size
        lead = members[0]
        for m in members:
            group[m] = f"G{g + 1:0{gw}d}"
        for m in members[1:]:
            leaders[m] = lead
            offense[m] = offense[lead]
            release[m] = np.clip(release[lead] + rng.integers(-60, 61), lo_day, hi_day)
            near = neighbours[unit[lead]]
            if rng.random() < 0.7 or not near:
                unit[m] = unit[lead]
            else:
                unit[m] = near[int(rng.integers(len(near)))]

    off_names = [OFFENSES[o] for o in offense.tolist()]
    cum = np.array([np.cumsum(_RISK_P.get(o, _RISK_OTHER)) for o in OFFENSES])
    u = rng.random(n)
    risk = 1 + (u > cum[offense, 0]).astype(int) + (u > cum[offense, 1]).astype(int)

    n_skills = rng.choice(4, size=n, p=[.20, .45, .25, .10])
    men_w = np.array([s.men for s in SECTORS])
    women_w = np.array([s.women for s in SECTORS])
    skills = _top_k(rng, np.where(female[:, None], women_w, men_w), n_skills)
    wants_job = rng.random(n) < 0.80
    wants_training = rng.random(n) < 0.25
    away = rng.random(n) < 0.15
    loan = rng.random(n) < 0.20
    commute = np.where(rng.random(n) < 0.25,
                       rng.choice([3.0, 5.0, 7.0, 10.0, 15.0], size=n), np.nan)
    avail = _availability(rng, n, [AVAILABILITY_JOB_SEEKER if w else AVAILABILITY_RETURNEE_OTHER
                                   for w in wants_job.tolist()], _AVAIL_DRAWS_RETURNEE)
    pts = _scatter(units, unit, rng, 0.10)
    # outside Thanh Hóa a province is one wide cloud: keep co-offenders near their leader
    for m, lead in leaders.items():
        if units.ward[unit[m]] is None:
            dy, dx = rng.normal(size=2) * 2.0
            pts.lat[m] = round(pts.lat[lead] + dy / KM_PER_DEG, 5)
            pts.lon[m] = round(pts.lon[lead] + dx / (KM_PER_DEG * math.cos(
                math.radians(pts.lat[lead]))), 5)
    locs = _locations(units, pts)

    w = _width(n, 5)
    out = []
    for i in range(n):
        out.append(Returnee(
            id=f"R{i + 1:0{w}d}", full_name=names[i], gender="F" if female[i] else "M",
            birth_year=int(birth[i]), location=locs[i],
            release_date=plan_date + dt.timedelta(days=int(release[i])),
            offense=off_names[i], risk=int(risk[i]),
            skills=frozenset(_SECTOR_KEYS[j] for j in skills[i]),
            wants_job=bool(wants_job[i]), wants_training=bool(wants_training[i]),
            max_commute_km=None if np.isnan(commute[i]) else float(commute[i]),
            work_away_from_home=bool(away[i]), availability=avail[i], group=group[i],
            needs_loan=bool(loan[i])))
    return out, pts


def _unit_neighbours(units: _Units, km: float) -> list[list[int]]:
    """Units with a ward within ``km`` of each ward unit (excluding itself)."""
    has = np.array([w is not None for w in units.ward])
    idx = np.flatnonzero(has)
    d = _km(units.lat[idx, None], units.lon[idx, None], units.lat[None, idx],
            units.lon[None, idx])
    out: list[list[int]] = [[] for _ in range(len(units))]
    for a, i in enumerate(idx.tolist()):
        out[i] = [int(idx[b]) for b in np.flatnonzero((d[a] <= km) & (idx != i))]
    return out


def _phones(rng: np.random.Generator, n: int) -> list[str | None]:
    has = rng.random(n) < 0.90
    prefix = rng.choice(["09", "03", "08"], size=n, p=[.75, .15, .10])
    number = rng.integers(0, 10**8, size=n)
    return [f"{p}{x:08d}" if h else None
            for h, p, x in zip(has.tolist(), prefix.tolist(), number.tolist())]


def _mentors(rng: np.random.Generator, units: _Units, n: int) -> tuple[list[Mentor], _Points]:
    # veterans' associations are stronger in some places than others
    unit = _choice(rng, units.w_people * rng.lognormal(0.0, 0.6, len(units)), n)
    female = rng.random(n) < 0.15
    names = _full_names(rng, female)
    birth = np.clip(np.round(rng.normal(1962, 6.5, n)), 1950, 1980).astype(int)
    phones = _phones(rng, n)
    capacity = rng.choice([1, 2, 3, 4, 5], size=n, p=[.12, .45, .33, .07, .03])
    hours = np.where(rng.random(n) < 0.25, rng.integers(4, 11, size=n) * 2.0, np.nan)
    max_risk = rng.choice([3, 2, 1], size=n, p=[.60, .30, .10])
    tag_p = np.array([.20, .15, .03, .20, .10])  # order of SPECIALTIES
    tags = rng.random((n, len(SPECIALTIES))) < tag_p
    women_col = SPECIALTIES.index("women")
    tags[:, women_col] = np.where(female, rng.random(n) < 0.70, tags[:, women_col])
    max_km = np.where(rng.random(n) < 0.08, rng.choice([2.0, 3.0, 4.0], size=n), np.nan)
    avail = _availability(rng, n, [AVAILABILITY_MENTOR] * n, _AVAIL_DRAWS_MENTOR)
    active = rng.random(n) >= 0.03
    pts = _scatter(units, unit, rng, 0.10)
    locs = _locations(units, pts)
    w = _width(n, 5)
    out = []
    for i in range(n):
        out.append(Mentor(
            id=f"M{i + 1:0{w}d}", full_name=names[i], gender="F" if female[i] else "M",
            birth_year=int(birth[i]), location=locs[i], phone=phones[i],
            capacity=int(capacity[i]),
            hours_per_month=None if np.isnan(hours[i]) else float(hours[i]),
            max_risk=int(max_risk[i]),
            specialties=frozenset(s for s, t in zip(SPECIALTIES, tags[i].tolist()) if t),
            max_km=None if np.isnan(max_km[i]) else float(max_km[i]),
            availability=avail[i], active=bool(active[i])))
    return out, pts


# ---------------------------------------------------------------------------- jobs, courses

def _excluded(rng: np.random.Generator, sector: str, bank: bool) -> frozenset[str]:
    r = rng.random()
    if bank:
        return frozenset({"fraud", "property"})
    if sector == "bảo vệ":
        return frozenset({"property", "violence"}) if r < .40 else frozenset()
    if sector == "lái xe":
        if r < .30:
            return frozenset({"traffic", "drugs"})
        return frozenset({"traffic"}) if r < .60 else frozenset()
    if sector == "bán hàng":
        return frozenset({"fraud", "property"}) if r < .30 else frozenset()
    if sector == "kho vận":
        return frozenset({"property"}) if r < .30 else frozenset()
    if sector == "du lịch khách sạn":
        return frozenset({"property"}) if r < .20 else frozenset()
    return frozenset({"drugs"}) if r < .04 else frozenset()


def _jobs(rng: np.random.Generator, units: _Units, n: int, plan_date: dt.date) -> list[Job]:
    per_employer = rng.choice([1, 2, 3, 4, 5], size=n, p=[.45, .25, .15, .10, .05])
    ends = np.cumsum(per_employer)
    n_emp = int(np.searchsorted(ends, n)) + 1
    counts = per_employer[:n_emp].copy()
    counts[-1] -= int(ends[n_emp - 1]) - n
    emp_sector = _choice(rng, np.array([s.jobs for s in SECTORS]), n_emp)
    pts = _scatter(units, _choice(rng, units.w_jobs, n_emp), rng, 0.15)
    locs = _locations(units, pts)
    template_r = rng.random(n_emp)
    brand_i = rng.integers(len(BRANDS), size=n_emp)
    bank_i = rng.integers(len(BANKS), size=n_emp)
    seen: set[str] = set()
    w = _width(n, 4)
    out: list[Job] = []
    for e in range(n_emp):
        sec = SECTORS[int(emp_sector[e])]
        template = sec.employers[int(template_r[e] * len(sec.employers))]
        bank = "{bank}" in template
        place = units.place[int(pts.unit[e])]
        name = template.format(b=BRANDS[int(brand_i[e])], p=place,
                               bank=BANKS[int(bank_i[e])])
        if name in seen:
            name = f"{name} {place}" if place not in name else name
            k = 2
            base = name
            while name in seen:
                name, k = f"{base} {k}", k + 1
        seen.add(name)
        factory = sec.name in _FACTORY
        for _ in range(int(counts[e])):
            if bank or rng.random() < 0.85:
                s = sec
            else:
                s = SECTORS[int(_SUPPORT_SECTORS[int(rng.integers(len(_SUPPORT_SECTORS)))])]
            slots = int(rng.choice([1, 2, 3, 4, 5, 6], p=[.32, .26, .17, .11, .08, .06]))
            r = rng.random()
            shift = "night" if r < s.night else ("any" if r < s.night + s.any_shift else "day")
            entry = bool(rng.random() < s.entry)
            excluded = _excluded(rng, s.name, bank and s is sec)
            min_age = 18 if rng.random() < 0.30 else None
            if factory and s is sec:
                max_age = int(rng.choice([35, 40, 45])) if rng.random() < 0.60 else None
            else:
                max_age = int(rng.choice([45, 50, 55])) if rng.random() < 0.15 else None
            start = (plan_date + dt.timedelta(days=int(rng.integers(-30, 61)))
                     if rng.random() < 0.5 else None)
            out.append(Job(id=f"J{len(out) + 1:0{w}d}", employer=name, sector=s.name,
                           location=locs[e], slots=slots, min_age=min_age, max_age=max_age,
                           shift=shift, excluded_offenses=excluded, entry_level=entry,
                           start_date=start))
    return out


def _trainings(rng: np.random.Generator, units: _Units, n: int,
               plan_date: dt.date) -> list[Training]:
    train_w = np.array([s.training for s in SECTORS])
    sector = _choice(rng, train_w, n)
    pts = _scatter(units, _choice(rng, units.w_training, n), rng, 0.15)
    locs = _locations(units, pts)
    provider_i = rng.integers(len(PROVIDERS), size=n)
    seats = rng.integers(15, 26, size=n)
    start = rng.integers(-21, 121, size=n)
    evening = rng.random(n) < 0.30
    w = _width(n, 3)
    out = []
    for i in range(n):
        u = int(pts.unit[i])
        provider = PROVIDERS[int(provider_i[i])].format(p=units.place[u],
                                                        prov=units.province[u])
        out.append(Training(id=f"T{i + 1:0{w}d}", provider=provider,
                            sector=SECTORS[int(sector[i])].name, location=locs[i],
                            seats=int(seats[i]),
                            start_date=plan_date + dt.timedelta(days=int(start[i])),
                            schedule="evening" if evening[i] else "day"))
    return out


# ---------------------------------------------------------------------------- pairs

def _pairs(rng: np.random.Generator, n_rows: int, returnees: list[Returnee], r_pts: _Points,
           mentors: list[Mentor], m_pts: _Points, jobs: list[Job]) -> list[PairRule]:
    """Coordinators' Pairs rows: mostly forbid/affinity, a few feasible requires, never
    two rows for the same pair (so never a require and a forbid together)."""
    from scipy.spatial import cKDTree

    if not returnees or not mentors:
        return []
    n_req = max(1, round(0.12 * n_rows))
    n_aff = max(1, round(0.33 * n_rows))
    n_job = round(0.15 * n_rows) if jobs else 0
    kinds = (["require"] * n_req + ["affinity"] * n_aff + ["job"] * n_job
             + ["forbid"] * max(0, n_rows - n_req - n_aff - n_job))
    m_tree = cKDTree(_unit_vectors(m_pts.lat, m_pts.lon))
    j_lat = np.array([j.location.lat for j in jobs])
    j_lon = np.array([j.location.lon for j in jobs])
    j_tree = cKDTree(_unit_vectors(j_lat, j_lon)) if jobs else None
    r_xyz = _unit_vectors(r_pts.lat, r_pts.lon)
    order = rng.permutation(len(returnees)).tolist()
    used: set[tuple[int, str]] = set()
    required_mentors: set[int] = set()
    rows: list[tuple[int, PairRule]] = []
    pos = 0
    for kind in kinds:
        while pos < len(order):
            r = order[pos]
            pos += 1
            row = _pair_row(rng, kind, r, returnees[r], r_pts, r_xyz[r], mentors, m_pts,
                            m_tree, jobs, j_lat, j_lon, j_tree, used, required_mentors)
            if row is not None:
                rows.append((r, row))
                break
    rows.sort(key=lambda t: t[0])
    return [row for _, row in rows]


def _pair_row(rng: np.random.Generator, kind: str, r: int, ret: Returnee, r_pts: _Points,
              xyz: np.ndarray, mentors: list[Mentor], m_pts: _Points, m_tree: Any,
              jobs: list[Job], j_lat: np.ndarray, j_lon: np.ndarray, j_tree: Any,
              used: set[tuple[int, str]], required_mentors: set[int]) -> PairRule | None:
    lat, lon = r_pts.lat[r], r_pts.lon[r]
    if kind == "job":
        near = sorted(j_tree.query_ball_point(xyz, 12.0))
        near = [j for j in near if _km(lat, lon, j_lat[j], j_lon[j]) <= 12.0
                and (r, jobs[j].id) not in used]
        if not near:
            return None
        j = near[int(rng.integers(len(near)))]
        used.add((r, jobs[j].id))
        if rng.random() < 0.5:
            return PairRule(ret.id, job_id=jobs[j].id, rule="forbid",
                            reason=REASONS_JOB_FORBID[int(rng.integers(2))])
        return PairRule(ret.id, job_id=jobs[j].id, affinity=int(rng.integers(1, 4)),
                        reason=REASONS_JOB_AFFINITY[int(rng.integers(2))])
    near = sorted(m_tree.query_ball_point(xyz, 4.8))
    d = _km(lat, lon, m_pts.lat[near], m_pts.lon[near]) if near else np.array([])
    cands = []
    for m, dist in zip(near, np.atleast_1d(d).tolist()):
        if dist > 4.8 or (r, mentors[m].id) in used:
            continue
        if kind == "require":
            mt = mentors[m]
            if (m in required_mentors or not mt.active or mt.capacity < 1
                    or mt.hours_per_month is not None or ret.risk > mt.max_risk
                    or (mt.max_km is not None and dist > mt.max_km - 0.2)
                    or (ret.gender == "F" and mt.gender != "F")):
                continue
        cands.append(m)
    if not cands:
        return None
    m = cands[int(rng.integers(len(cands)))]
    mid = mentors[m].id
    used.add((r, mid))
    if kind == "require":
        required_mentors.add(m)
        return PairRule(ret.id, mentor_id=mid, rule="require",
                        reason=REASONS_REQUIRE[int(rng.integers(len(REASONS_REQUIRE)))])
    if kind == "forbid":
        return PairRule(ret.id, mentor_id=mid, rule="forbid",
                        reason=REASONS_FORBID[int(rng.integers(len(REASONS_FORBID)))])
    extra = rng.random()
    travel = float(rng.choice([15, 20, 30, 40])) if extra < 0.15 else None
    hours = float(rng.choice([2, 3, 4])) if 0.15 <= extra < 0.25 else None
    return PairRule(ret.id, mentor_id=mid, affinity=int(rng.integers(1, 4)),
                    travel_minutes=travel, visit_hours_per_month=hours,
                    reason=REASONS_AFFINITY[int(rng.integers(len(REASONS_AFFINITY)))])


# ---------------------------------------------------------------------------- entry points

def _build(scale: Scale, seed: int, plan_date: dt.date) -> Roster:
    rng = np.random.default_rng(seed)
    units = _region(scale.region, rng)
    returnees, r_pts = _returnees(rng, units, scale.returnees, plan_date)
    mentors, m_pts = _mentors(rng, units, scale.mentors)
    jobs = _jobs(rng, units, scale.openings, plan_date)
    trainings = _trainings(rng, units, scale.n_trainings, plan_date)
    pairs = _pairs(rng, scale.n_pairs, returnees, r_pts, mentors, m_pts, jobs)
    return Roster(returnees=tuple(returnees), mentors=tuple(mentors), jobs=tuple(jobs),
                  trainings=tuple(trainings), pairs=tuple(pairs),
                  settings=Settings(plan_date=plan_date))


def generate_roster(scale: str, seed: int, *,
                    plan_date: dt.date = DEFAULT_PLAN_DATE) -> Roster:
    """A realistic synthetic roster at ``scale`` (ward, city, province, national);
    the same arguments always give the same roster."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    return _build(SCALES[scale], seed, plan_date)


def counts(roster: Roster) -> dict[str, int]:
    return {"returnees": len(roster.returnees), "mentors": len(roster.mentors),
            "jobs": len(roster.jobs), "job_slots": sum(j.slots for j in roster.jobs),
            "trainings": len(roster.trainings),
            "training_seats": sum(t.seats for t in roster.trainings),
            "pairs": len(roster.pairs)}


def generate(scale: str, seed: int, out_path: str | Path, *, lang: str = "en",
             plan_date: dt.date = DEFAULT_PLAN_DATE) -> dict[str, int]:
    """Generate a roster and write it to ``out_path`` (.xlsx); returns its counts."""
    from matcher.io.roster_writer import write_roster

    roster = generate_roster(scale, seed, plan_date=plan_date)
    write_roster(roster, out_path, lang=lang, skill_names=SECTOR_NAMES)
    return counts(roster)


def make_sample(out_path: str | Path) -> dict[str, int]:
    """The bundled sample (``data/sample/roster.xlsx``): Thanh Hóa city, 120 returnees,
    200 mentors, 40 openings, 6 courses, 12 Pairs rows, Vietnamese sheets and headers;
    about one person in ten is given by ward name only."""
    from matcher.io.roster_writer import write_roster

    roster = _build(SAMPLE, SAMPLE_SEED, DEFAULT_PLAN_DATE)
    write_roster(roster, out_path, lang="vi", skill_names=SECTOR_NAMES)
    return counts(roster)

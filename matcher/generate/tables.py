"""What the generator draws from: scales, sectors, employers, availability phrasings,
Pairs reasons and the mixes of offenses and risk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcher.text import fold

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DEFAULT_PLAN_DATE = dt.date(2026, 12, 1)
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

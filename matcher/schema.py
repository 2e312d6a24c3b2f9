"""The roster format: sheets and columns with their English and Vietnamese headers.

This is the contract between coordinators' workbooks, the reader, the generator and the
writer. Headers match after :func:`matcher.text.header_key` (case, accents, spaces and
punctuation ignored); every alias below is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from matcher.text import header_key


@dataclass(frozen=True)
class Column:
    key: str  # attribute name in the domain object
    en: str  # canonical English header
    vi: str  # canonical Vietnamese header
    kind: str  # text, int, number, date, bool, gender, offense, risk, list, ...
    required: bool = False
    aliases: tuple[str, ...] = ()

    def keys(self) -> set[str]:
        return {header_key(h) for h in (self.key, self.en, self.vi, *self.aliases)}


@dataclass(frozen=True)
class Sheet:
    key: str
    en: str
    vi: str
    columns: tuple[Column, ...]
    required: bool = True
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {header_key(h) for h in (self.key, self.en, self.vi, *self.aliases)}

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _person(*, what: str) -> tuple[Column, ...]:
    return (
        Column("id", "id", "Mã", "id", True, ("ma so", "ma " + what, "code", "stt ma")),
        Column("full_name", "full_name", "Họ và tên", "text", True,
               ("name", "full name", "ho ten", "ten")),
        Column("gender", "gender", "Giới tính", "gender", True, ("sex", "gioi")),
        Column("birth_year", "birth_year", "Năm sinh", "int", True, ("year of birth", "born")),
    )


_LOCATION = (
    Column("ward", "ward", "Phường/Xã", "text", False,
           ("xa phuong", "phuong xa", "phuong", "xa", "commune", "dia ban", "noi o")),
    Column("lat", "lat", "Vĩ độ", "number", False, ("latitude", "vi do")),
    Column("lon", "lon", "Kinh độ", "number", False, ("longitude", "lng", "kinh do")),
)

RETURNEES = Sheet("returnees", "Returnees", "Người trở về", (
    *_person(what="nguoi"),
    *_LOCATION,
    Column("release_date", "release_date", "Ngày chấp hành xong án", "date", True,
           ("release date", "ngay ra tu", "ngay chap hanh xong", "ngay ve")),
    Column("offense", "offense", "Nhóm tội danh", "offense", True,
           ("offence", "toi danh", "nhom toi")),
    Column("risk", "risk", "Mức nguy cơ", "risk", True, ("risk level", "nguy co")),
    Column("skills", "skills", "Kỹ năng/Nghề", "list", False, ("ky nang", "nghe", "skill")),
    Column("wants_job", "wants_job", "Cần việc làm", "bool", False, ("can viec lam",)),
    Column("wants_training", "wants_training", "Cần học nghề", "bool", False,
           ("can hoc nghe",)),
    Column("max_commute_km", "max_commute_km", "Đi làm tối đa (km)", "number", False,
           ("max commute",)),
    Column("work_away_from_home", "work_away_from_home", "Muốn làm xa nơi ở", "bool", False,
           ("lam xa noi o",)),
    Column("availability", "availability", "Thời gian rảnh", "text", False, ("ranh",)),
    Column("group", "group", "Nhóm đồng phạm", "text", False,
           ("co offender group", "dong pham", "nhom")),
    Column("needs_loan", "needs_loan", "Cần vay vốn", "bool", False, ("vay von",)),
    Column("loan_amount", "loan_amount", "Số tiền xin vay (đồng)", "int", False,
           ("so tien vay", "loan", "muc vay")),
    Column("loan_purpose", "loan_purpose", "Mục đích vay", "loan_purpose", False,
           ("muc dich", "purpose")),
    Column("poor_household", "poor_household", "Hộ nghèo", "bool", False,
           ("ho ngheo", "poor")),
    Column("follow_up_end", "follow_up_end", "Ngày kết thúc theo dõi", "date", False,
           ("ket thuc theo doi", "het thoi gian theo doi", "xoa an tich", "follow up end")),
), aliases=("nguoi chap hanh xong an", "returnee", "nguoi tro ve dia phuong"))

MENTORS = Sheet("mentors", "Mentors", "Cựu chiến binh", (
    *_person(what="ccb"),
    *_LOCATION,
    Column("phone", "phone", "Điện thoại", "text", False, ("so dien thoai", "sdt", "tel")),
    Column("capacity", "capacity", "Số người giúp đỡ tối đa", "int", False,
           ("so nguoi toi da", "suc nhan")),
    Column("hours_per_month", "hours_per_month", "Số giờ/tháng", "number", False,
           ("gio thang", "hours")),
    Column("max_risk", "max_risk", "Nhận mức nguy cơ tối đa", "risk", False,
           ("muc nguy co toi da",)),
    Column("specialties", "specialties", "Chuyên môn", "specialties", False,
           ("specialty", "chuyen mon")),
    Column("max_km", "max_km", "Khoảng cách tối đa (km)", "number", False,
           ("khoang cach toi da",)),
    Column("availability", "availability", "Thời gian rảnh", "text", False, ("ranh",)),
    Column("active", "active", "Còn hoạt động", "bool", False, ("hoat dong",)),
), aliases=("ccb", "mentor", "cuu chien binh giup do"))

JOBS = Sheet("jobs", "Jobs", "Việc làm", (
    Column("id", "id", "Mã", "id", True, ("ma viec", "code")),
    Column("employer", "employer", "Doanh nghiệp", "text", True,
           ("company", "cong ty", "don vi")),
    Column("sector", "sector", "Ngành", "text", True, ("nganh nghe",)),
    *_LOCATION,
    Column("slots", "slots", "Số lượng", "int", True, ("so luong tuyen", "openings")),
    Column("min_age", "min_age", "Tuổi tối thiểu", "int", False, ("tuoi tu",)),
    Column("max_age", "max_age", "Tuổi tối đa", "int", False, ("tuoi den",)),
    Column("shift", "shift", "Ca làm", "shift", False, ("ca",)),
    Column("excluded_offenses", "excluded_offenses", "Không nhận nhóm tội", "offenses", False,
           ("excluded offences", "khong nhan")),
    Column("entry_level", "entry_level", "Không cần tay nghề", "bool", False,
           ("entry level", "lao dong pho thong")),
    Column("start_date", "start_date", "Ngày bắt đầu", "date", False, ("start",)),
), required=False, aliases=("job openings", "viec lam trong", "tuyen dung"))

TRAINING = Sheet("trainings", "Training", "Học nghề", (
    Column("id", "id", "Mã", "id", True, ("ma khoa", "code")),
    Column("provider", "provider", "Cơ sở đào tạo", "text", True,
           ("truong", "co so", "don vi dao tao")),
    Column("sector", "sector", "Ngành", "text", True, ("nghe", "nganh nghe")),
    *_LOCATION,
    Column("seats", "seats", "Số chỗ", "int", True, ("so luong", "cho")),
    Column("start_date", "start_date", "Ngày khai giảng", "date", False,
           ("ngay bat dau", "start")),
    Column("schedule", "schedule", "Lịch học", "schedule", False, ("buoi hoc",)),
), required=False, aliases=("trainings", "courses", "khoa hoc", "dao tao nghe"))

PAIRS = Sheet("pairs", "Pairs", "Cặp chỉ định", (
    Column("returnee_id", "returnee_id", "Mã người trở về", "text", True,
           ("returnee", "nguoi tro ve")),
    Column("mentor_id", "mentor_id", "Mã cựu chiến binh", "text", False,
           ("mentor", "ma ccb", "cuu chien binh")),
    Column("job_id", "job_id", "Mã việc làm", "text", False, ("job", "viec lam")),
    Column("training_id", "training_id", "Mã khóa học nghề", "text", False,
           ("training", "course", "course_id", "hoc nghe", "khoa hoc", "ma khoa hoc")),
    Column("rule", "rule", "Quy tắc", "rule", False, ("quy dinh",)),
    Column("reason", "reason", "Lý do", "text", False, ("ly do", "note", "ghi chu")),
    Column("affinity", "affinity", "Điểm ưu tiên", "int", False, ("uu tien",)),
    Column("travel_minutes", "travel_minutes", "Phút đi lại", "number", False,
           ("thoi gian di lai", "phut di lai")),
    Column("visit_hours_per_month", "visit_hours_per_month", "Giờ thăm/tháng", "number",
           False, ("gio tham thang",)),
), required=False, aliases=("cap", "overrides", "cap ghep"))

LOANS = Sheet("loan_pools", "Loans", "Vay vốn", (
    Column("id", "id", "Mã quỹ", "id", True, ("ma", "pool", "ma nguon von")),
    Column("name", "name", "Tên quỹ/Điểm giao dịch", "text", False,
           ("ten", "diem giao dich", "phong giao dich", "transaction point")),
    Column("wards", "wards", "Phường/Xã được vay", "wards", True,
           ("phuong xa", "dia ban", "ward", "wards covered")),
    Column("capital", "capital", "Số vốn (đồng)", "int", True,
           ("von", "so von", "nguon von", "amount")),
), required=False, aliases=("vay von uu dai", "nguon von", "capital", "loan pools"))

SETTINGS = Sheet("settings", "Settings", "Cấu hình", (
    Column("key", "key", "Tham số", "text", True, ("setting", "name", "ten", "khoa")),
    Column("value", "value", "Giá trị", "text", True, ("gia tri",)),
), required=False, aliases=("cau hinh", "thiet lap", "config"))

GAZETTEER = Sheet("gazetteer", "Gazetteer", "Danh mục địa bàn", (
    Column("name", "name", "Tên", "text", True, ("ward", "phuong xa", "ten don vi")),
    Column("lat", "lat", "Vĩ độ", "number", True, ("latitude",)),
    Column("lon", "lon", "Kinh độ", "number", True, ("longitude", "lng")),
), required=False, aliases=("dia ban", "danh muc", "wards"))

SHEETS: tuple[Sheet, ...] = (RETURNEES, MENTORS, JOBS, TRAINING, PAIRS, LOANS, SETTINGS,
                             GAZETTEER)

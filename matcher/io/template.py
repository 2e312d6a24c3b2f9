"""A blank roster to fill in (SPEC §13): ``python run.py template`` and the web's
"Tải tệp mẫu".

:func:`write_template` writes an .xlsx with an instructions sheet first ("Hướng dẫn":
every sheet and column explained in plain words), then every sheet of
:data:`matcher.schema.SHEETS` but the optional Gazetteer, each with its headers (Vietnamese,
or English with ``lang="en"``) in a frozen, styled first row, column widths, a comment on
every header, drop-down lists for every column with a fixed set of words (gender, yes/no,
offense group, risk, shift, course time, rule, loan purpose, specialties, excluded offense
groups) and for the 2025 ward names, and date columns shown DD/MM/YYYY. The lists live on
a hidden sheet and are referenced by range. The Settings sheet holds every setting with
its default and a plain label beside it (the key column stays: the reader needs it).

Every word of a drop-down parses back through :mod:`matcher.values`, and a copy of the
template with rows typed in reads through :func:`matcher.io.reader.read_roster`
(tests/test_template.py).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from matcher import schema
from matcher.domain import OFFENSES, SETTING_SPECS, SPECIALTIES
from matcher.gazetteer import AMBIGUOUS, OK, Gazetteer
from matcher.io.roster_writer import DATE_FORMAT, WORDS

__all__ = ["LANGS", "TEMPLATE_SHEETS", "choice_lists", "template_bytes", "write_template"]

LANGS = ("vi", "en")
# the sheets of the template, in workbook order (a Gazetteer sheet is for other provinces)
TEMPLATE_SHEETS: tuple[schema.Sheet, ...] = tuple(
    s for s in schema.SHEETS if s is not schema.GAZETTEER)
_TITLE = {"instructions": {"vi": "Hướng dẫn", "en": "Instructions"},
          "lists": {"vi": "Danh sách chọn", "en": "Lists"},
          "label": {"vi": "Ý nghĩa", "en": "Meaning"}}
_MAX_ROW = 1_048_576
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_REQUIRED_FILL = PatternFill("solid", fgColor="C00000")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")

# ---------------------------------------------------------------------------- words

_RISK_EN = {1: "low", 2: "medium", 3: "high"}
_GENDER_RULE = {"vi": {"women_to_women": "nữ với nữ", "same_gender": "cùng giới",
                       "none": "không"},
                "en": {"women_to_women": "women_to_women", "same_gender": "same_gender",
                       "none": "none"}}


def _wards() -> list[str]:
    """The 2025 ward names; one shared with pre-2025 units is given as
    "<name>, tỉnh Thanh Hóa", which the reader resolves without ambiguity."""
    gaz = Gazetteer.bundled()
    out = []
    for unit in gaz.units():
        name = unit.name
        if gaz.resolve(name).status == AMBIGUOUS:
            qualified = f"{name}, tỉnh Thanh Hóa"
            hit = gaz.resolve(qualified)
            if hit.status == OK and hit.point.name == name:
                name = qualified
        out.append(name)
    return sorted(out, key=lambda n: (not n.startswith("Phường"), n))


def choice_lists(lang: str = "vi") -> dict[str, list[Any]]:
    """The words of every drop-down list, by list name."""
    words = WORDS[lang]
    risk = words["risk"] if lang == "vi" else _RISK_EN
    return {
        "gender": [words["gender"][g] for g in ("M", "F")],
        "yesno": [words["bool"][True], words["bool"][False]],
        "offense": [words["offense"][o] for o in OFFENSES],
        "risk": [risk[r] for r in (1, 2, 3)],
        "shift": [words["shift"][s] for s in ("day", "night", "any")],
        "schedule": [words["schedule"][s] for s in ("day", "evening")],
        "rule": [words["rule"][r] for r in ("require", "forbid")],
        "loan_purpose": [words["loan_purpose"][p] for p in ("business", "other")],
        "specialty": [words["specialty"][s] for s in SPECIALTIES],
        "gender_rule": list(_GENDER_RULE[lang].values()),
        "ward": _wards(),
    }


# column kind -> (list, how strictly): "stop" refuses other words, "warning" asks,
# "information" only offers the list (a cell may hold several words, comma separated)
_KIND_LIST = {"gender": ("gender", "stop"), "bool": ("yesno", "stop"),
              "offense": ("offense", "stop"), "risk": ("risk", "stop"),
              "shift": ("shift", "stop"), "schedule": ("schedule", "stop"),
              "rule": ("rule", "stop"), "loan_purpose": ("loan_purpose", "stop"),
              "specialties": ("specialty", "information"),
              "offenses": ("offense", "information"), "wards": ("ward", "information")}

# ---------------------------------------------------------------------------- texts

_SHEET_TEXT: dict[str, tuple[str, str]] = {
    "returnees": ("Bắt buộc. Mỗi dòng là một người chấp hành xong án phạt tù trở về địa "
                  "phương (hoặc sắp về).",
                  "Required. One row per person returning from prison (or about to)."),
    "mentors": ("Bắt buộc. Mỗi dòng là một cựu chiến binh nhận giúp đỡ người trở về.",
                "Required. One row per veteran who mentors returnees."),
    "jobs": ("Không bắt buộc. Mỗi dòng là một chỗ tuyển dụng; một chỗ có thể nhận nhiều "
             "người (cột Số lượng).",
             "Optional. One row per job opening; one opening may take several people "
             "(column slots)."),
    "trainings": ("Không bắt buộc. Mỗi dòng là một khóa học nghề.",
                  "Optional. One row per training course."),
    "pairs": ("Không bắt buộc. Những cặp cán bộ muốn chỉ định, không cho ghép, hoặc ưu tiên "
              "theo hiểu biết của địa phương.",
              "Optional. Pairs the coordinator requires, forbids or favours from local "
              "knowledge."),
    "loan_pools": ("Không bắt buộc. Các nguồn vốn vay ưu đãi và những phường/xã được vay từ "
                   "mỗi nguồn.",
                   "Optional. Preferential loan capital and the wards each pool covers."),
    "settings": ("Không bắt buộc. Các thông số của kế hoạch, đã điền sẵn giá trị mặc định; "
                 "chỉ sửa cột Giá trị khi cần, giữ nguyên cột Tham số.",
                 "Optional. The plan's settings, filled with their defaults; change only the "
                 "value column, keep the key column as it is."),
}

_WARD_VI = ("Chọn phường/xã {where} trong danh sách (tên từ ngày 01/07/2025); tên cũ trước "
            "sáp nhập cũng được chấp nhận.")
_WARD_EN = ("Pick the ward {where} from the list (2025 names); pre-2025 names are accepted "
            "too.")
_AVAIL = ("Các buổi rảnh, ví dụ: T2-T6 tối; T7. Để trống: rảnh sáng và chiều mọi ngày.",
          "Free times, e.g. Mon-Fri evening; Sat. Blank: any morning or afternoon.")
_LAT = ("Chỉ điền khi biết tọa độ chính xác (số thập phân); để trống thì dùng vị trí của "
        "phường/xã.", "Only when the exact position is known (decimal degrees); blank: the "
        "ward's point.")

# (sheet key, column key) or column key -> (Vietnamese, English)
_COLUMN_TEXT: dict[Any, tuple[str, str]] = {
    "id": ("Mã riêng của mỗi dòng, không trùng nhau (ví dụ: {example}).",
           "A code of your own for each row, never repeated (e.g. {example})."),
    "full_name": ("Họ và tên đầy đủ, có dấu.", "Full name."),
    "gender": ("Chọn trong danh sách: Nam hoặc Nữ.", "Pick from the list: M or F."),
    "birth_year": ("Năm sinh, 4 chữ số (ví dụ: 1990).", "Year of birth, four digits."),
    "lat": _LAT,
    "lon": _LAT,
    "release_date": ("Ngày chấp hành xong án, dạng ngày/tháng/năm (ví dụ: 15/03/2026); có "
                     "thể là ngày sắp tới.",
                     "Date the sentence ends, DD/MM/YYYY; may lie in the future."),
    "offense": ("Chọn nhóm tội danh trong danh sách.", "Pick the offense group from the list."),
    "risk": ("Chọn mức nguy cơ: thấp, trung bình hoặc cao.", "Pick the risk: low, medium "
             "or high."),
    "skills": ("Các nghề đã biết, cách nhau bằng dấu phẩy (ví dụ: may mặc, xây dựng).",
               "Trades the person knows, comma separated (e.g. sewing, building)."),
    "wants_job": ("Chọn có hoặc không; để trống là có.", "Yes or no; blank: yes."),
    "wants_training": ("Chọn có hoặc không; để trống là không.", "Yes or no; blank: no."),
    "max_commute_km": ("Quãng đường đi làm xa nhất người này chấp nhận (km); để trống thì "
                       "theo trang Cấu hình.",
                       "Longest commute this person accepts (km); blank: the Settings "
                       "value."),
    "work_away_from_home": ("Chọn có nếu người này muốn làm việc ngoài phường/xã nơi ở; để "
                            "trống là không.",
                            "Yes when the person prefers a job outside the home ward; "
                            "blank: no."),
    "availability": _AVAIL,
    "group": ("Những người cùng một vụ án ghi cùng một tên nhóm (ví dụ: Vụ 1): họ không "
              "bị xếp chung một cựu chiến binh hay một nơi làm.",
              "Co-offenders share one label (e.g. Case 1): never the same mentor or "
              "employer."),
    "needs_loan": ("Chọn có nếu người này cần vay vốn ưu đãi.",
                   "Yes when the person needs a preferential loan."),
    "loan_amount": ("Số tiền xin vay, tính bằng đồng (ví dụ: 50000000).",
                    "Amount asked, in dong (e.g. 50000000)."),
    "loan_purpose": ("Chọn mục đích vay trong danh sách.", "Pick the purpose from the list."),
    "poor_household": ("Chọn có nếu thuộc hộ nghèo.", "Yes for a poor household."),
    "follow_up_end": ("Ngày hết thời gian theo dõi (nếu có), dạng ngày/tháng/năm.",
                      "End of follow-up (if any), DD/MM/YYYY."),
    "phone": ("Số điện thoại liên hệ.", "Phone number."),
    "capacity": ("Số người tối đa cựu chiến binh này nhận giúp đỡ; để trống là 2.",
                 "Most mentees this mentor takes; blank: 2."),
    "hours_per_month": ("Số giờ mỗi tháng dành được cho việc thăm; để trống là không giới "
                        "hạn.", "Hours a month for visits; blank: no limit."),
    "max_risk": ("Mức nguy cơ cao nhất nhận giúp đỡ; để trống là cao.",
                 "Highest risk level accepted; blank: high."),
    "specialties": ("Chọn trong danh sách; có thể ghi nhiều, cách nhau bằng dấu phẩy (ví dụ: "
                    "ma túy, thanh niên).",
                    "Pick from the list; several may be written, comma separated."),
    "max_km": ("Khoảng cách xa nhất tới nhà người được giúp (km); để trống thì theo trang "
               "Cấu hình.", "Furthest distance to a mentee (km); blank: the Settings value."),
    "active": ("Chọn không nếu tạm thời không nhận giúp đỡ; để trống là có.",
               "No when not taking mentees for now; blank: yes."),
    "employer": ("Tên doanh nghiệp hoặc cơ sở tuyển dụng.", "Employer's name."),
    ("jobs", "sector"): ("Ngành nghề (ví dụ: may mặc); người có kỹ năng cùng ngành được ưu "
                         "tiên.", "Sector (e.g. sewing); people skilled in it come first."),
    "slots": ("Số người cần tuyển cho chỗ này.", "How many people this opening takes."),
    "min_age": ("Tuổi thấp nhất được nhận; để trống là không giới hạn.",
                "Youngest age accepted; blank: none."),
    "max_age": ("Tuổi cao nhất được nhận; để trống là không giới hạn.",
                "Oldest age accepted; blank: none."),
    "shift": ("Chọn ca làm: ngày, đêm hoặc bất kỳ; để trống là ca ngày.",
              "Pick the shift: day, night or any; blank: day."),
    "excluded_offenses": ("Nhóm tội danh nơi này không nhận; chọn trong danh sách, nhiều nhóm "
                          "cách nhau bằng dấu phẩy.",
                          "Offense groups this employer does not take; comma separated."),
    "entry_level": ("Chọn có nếu không cần tay nghề (lao động phổ thông).",
                    "Yes when no matching skill is needed."),
    ("jobs", "start_date"): ("Ngày bắt đầu làm việc (nếu có), dạng ngày/tháng/năm.",
                             "First working day (if known), DD/MM/YYYY."),
    "provider": ("Tên cơ sở đào tạo nghề.", "Training provider."),
    ("trainings", "sector"): ("Nghề được dạy (ví dụ: điện dân dụng).",
                              "Trade taught (e.g. electrics)."),
    "seats": ("Số chỗ học còn nhận.", "Seats open."),
    ("trainings", "start_date"): ("Ngày khai giảng (nếu có), dạng ngày/tháng/năm.",
                                  "First day of the course (if known), DD/MM/YYYY."),
    "schedule": ("Chọn học ban ngày hoặc buổi tối; để trống là ban ngày.",
                 "Day or evening classes; blank: day."),
    "returnee_id": ("Mã của người trở về, như ở trang Người trở về.",
                    "The returnee's code, as on the Returnees sheet."),
    "mentor_id": ("Mã cựu chiến binh, khi dòng này nói về việc ghép với cựu chiến binh.",
                  "The mentor's code, when the row is about a mentor."),
    "job_id": ("Mã việc làm, khi dòng này nói về một chỗ làm.",
               "The opening's code, when the row is about a job."),
    "training_id": ("Mã khóa học nghề, khi dòng này nói về một khóa học.",
                    "The course's code, when the row is about a course."),
    "rule": ("Chọn bắt buộc (phải ghép) hoặc cấm (không được ghép); để trống nếu chỉ cộng "
             "điểm ưu tiên.", "Require or forbid; blank when the row only adds points."),
    "reason": ("Lý do, ghi ngắn gọn.", "The reason, briefly."),
    "affinity": ("Điểm cộng thêm để ưu tiên cặp này (số nguyên).",
                 "Points added to this pair (whole number)."),
    "travel_minutes": ("Thời gian đi lại một chiều (phút), nếu biết rõ hơn cách tính theo "
                       "khoảng cách.", "One-way travel time (minutes), replacing the "
                       "computed one."),
    "visit_hours_per_month": ("Số giờ thăm mỗi tháng của cặp này, nếu khác cách tính chung.",
                              "Monthly visit hours of this pair, replacing the computed "
                              "ones."),
    ("loan_pools", "name"): ("Tên nguồn vốn hoặc điểm giao dịch ngân hàng.",
                             "Name of the pool or bank transaction point."),
    "wards": ("Các phường/xã được vay từ nguồn này, cách nhau bằng dấu chấm phẩy (;).",
              "Wards this pool covers, separated by semicolons (;)."),
    "capital": ("Tổng số vốn, tính bằng đồng.", "Capital, in dong."),
    "key": ("Tên tham số, giữ nguyên (chương trình cần để đọc).",
            "The setting's name; keep it as it is."),
    "value": ("Giá trị; để trống thì dùng mặc định.", "Its value; blank: the default."),
}
_ID_EXAMPLE = {"returnees": "NTV001", "mentors": "CCB001", "jobs": "VL001",
               "trainings": "HN001", "loan_pools": "VON01"}
_WARD_WHERE = {"returnees": ("nơi ở", "of residence"), "mentors": ("nơi ở", "of residence"),
               "jobs": ("nơi làm việc", "of the workplace"),
               "trainings": ("nơi học", "of the course")}

# plain labels of the settings (the reader needs the keys; people read these)
_SETTING_VI = {
    "plan_date": "Ngày bắt đầu kế hoạch (để trống: hôm nay)",
    "mentor_max_km": "Khoảng cách tối đa từ cựu chiến binh tới người được giúp (km)",
    "gender_rule": "Ghép theo giới tính: nữ với nữ (người nữ chỉ ghép với cựu chiến binh nữ), "
                   "cùng giới, hoặc không ràng buộc",
    "cadence_high_days": "Số ngày giữa hai lần thăm người có mức nguy cơ cao",
    "cadence_medium_days": "Số ngày giữa hai lần thăm người có mức nguy cơ trung bình",
    "cadence_low_days": "Số ngày giữa hai lần thăm người có mức nguy cơ thấp",
    "first_visit_days": "Lần thăm đầu tiên trong vòng số ngày này sau khi về",
    "travel_speed_kmh": "Tốc độ đi lại để tính thời gian (km/giờ)",
    "confirm_after_days": "Khi lập lại kế hoạch: cặp đã ghép lâu hơn số ngày này coi như đã "
                          "xác nhận (0: chỉ những cặp được đánh dấu)",
    "time_limit_s": "Thời gian tính toán tối đa cho mỗi bước (giây)",
    "candidates_k": "Số lựa chọn gần nhất xét trước cho mỗi người (chỉ ảnh hưởng tốc độ, "
                    "không ảnh hưởng kết quả)",
    "weight_specialty": "Điểm ưu tiên khi chuyên môn của cựu chiến binh phù hợp",
    "weight_same_ward": "Điểm ưu tiên khi cựu chiến binh và người được giúp cùng phường/xã",
    "weight_affinity": "Hệ số nhân điểm ưu tiên ghi ở trang Cặp chỉ định",
    "weight_spread": "Điểm trừ cho mỗi người nhận thêm của một cựu chiến binh (để chia đều)",
    "weight_travel": "Mức coi trọng việc giảm tổng quãng đường đi thăm (0: không xét)",
    "weight_job_skill": "Điểm ưu tiên khi ngành nghề đúng kỹ năng của người trở về",
    "weight_job_away": "Điểm ưu tiên khi người muốn làm xa nơi ở được đáp ứng",
    "weight_commute": "Mức coi trọng việc giảm quãng đường đi làm (0: không xét)",
    "weight_loan_no_job": "Điểm ưu tiên vay vốn cho người chưa có việc làm trong kế hoạch",
    "weight_loan_poor": "Điểm ưu tiên vay vốn cho hộ nghèo",
    "weight_loan_risk": "Điểm ưu tiên vay vốn cho mỗi bậc mức nguy cơ",
    "weight_loan_window": "Điểm ưu tiên vay vốn khi thời hạn được vay sắp hết",
}
_CODE_PREFIX = re.compile(r"^[A-Z]\d+:\s*")


def setting_label(name: str, lang: str = "vi") -> str:
    """A setting in plain words."""
    spec = next(s for s in SETTING_SPECS if s.name == name)
    if lang == "vi" and name in _SETTING_VI:
        return _SETTING_VI[name]
    text = spec.help_vi if lang == "vi" else spec.help_en
    return _CODE_PREFIX.sub("", text).rstrip(".")


def _column_text(sheet: schema.Sheet, column: schema.Column, lang: str) -> str:
    i = 0 if lang == "vi" else 1
    if column.key == "ward":
        where = _WARD_WHERE.get(sheet.key, ("", ""))[i]
        return (_WARD_VI if lang == "vi" else _WARD_EN).format(where=where).replace("  ", " ")
    pair = _COLUMN_TEXT.get((sheet.key, column.key)) or _COLUMN_TEXT.get(column.key)
    if pair is None:
        return getattr(column, lang)
    return pair[i].format(example=_ID_EXAMPLE.get(sheet.key, "1"))


def _setting_value(spec: Any, lang: str) -> Any:
    value = spec.default
    if spec.name == "gender_rule":
        return _GENDER_RULE[lang][value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ---------------------------------------------------------------------------- sheets

def _width(header: str, column: schema.Column) -> float:
    wide = {"full_name": 24, "ward": 26, "wards": 40, "employer": 26, "provider": 26,
            "availability": 20, "skills": 22, "specialties": 22, "excluded_offenses": 22,
            "reason": 30, "name": 28, "key": 28, "value": 18}
    base = 16 if column.kind == "date" else 10
    return float(max(wide.get(column.key, base), min(len(header) + 4, 30)))


def _header_row(ws: Worksheet, headers: Sequence[str], notes: Sequence[str],
                required: Sequence[bool]) -> None:
    ws.append(list(headers))
    for i, (note, req) in enumerate(zip(notes, required), start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL if req else _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = _BORDER
        if note:
            comment = Comment(note, "")
            comment.width, comment.height = 300, 110
            cell.comment = comment
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"


class _Lists:
    """The hidden sheet of drop-down words; one column per list."""

    def __init__(self, wb: Workbook, lang: str) -> None:
        self.ws = wb.create_sheet(_TITLE["lists"][lang])
        self.ws.sheet_state = "hidden"
        self.lang = lang
        self.refs: dict[str, str] = {}
        for col, (name, words) in enumerate(choice_lists(lang).items(), start=1):
            letter = get_column_letter(col)
            self.ws.cell(row=1, column=col, value=name)
            for row, word in enumerate(words, start=2):
                self.ws.cell(row=row, column=col, value=word).data_type = "s"
            self.refs[name] = (f"{quote_sheetname(self.ws.title)}!${letter}$2:"
                               f"${letter}${len(words) + 1}")

    def validation(self, name: str, style: str, prompt: str) -> DataValidation:
        vi = self.lang == "vi"
        dv = DataValidation(type="list", formula1=self.refs[name], allow_blank=True,
                            showDropDown=False)  # False shows the arrow (OOXML's odd name)
        dv.errorStyle = style
        dv.showErrorMessage = style != "information"
        dv.errorTitle = "Giá trị không có trong danh sách" if vi else "Not in the list"
        dv.error = ("Hãy chọn một giá trị trong danh sách." if style == "stop" else
                    "Tên này không có trong danh sách. Vẫn giữ?") if vi else (
                    "Pick a value from the list." if style == "stop" else
                    "This name is not in the list. Keep it?")
        dv.showInputMessage = True
        dv.prompt = prompt[:255]
        return dv


def _data_sheet(wb: Workbook, sheet: schema.Sheet, lang: str, lists: _Lists) -> Worksheet:
    ws = wb.create_sheet(getattr(sheet, lang))
    headers = [getattr(c, lang) for c in sheet.columns]
    notes = [_column_text(sheet, c, lang) for c in sheet.columns]
    _header_row(ws, headers, notes, [c.required for c in sheet.columns])
    for i, (column, header, note) in enumerate(zip(sheet.columns, headers, notes), start=1):
        letter = get_column_letter(i)
        dim = ws.column_dimensions[letter]
        dim.width = _width(header, column)
        if column.kind == "date":
            dim.number_format = DATE_FORMAT
        elif column.kind in ("id", "text", "list", "specialties", "offenses", "wards"):
            dim.number_format = "@"  # typed as text: "001" keeps its zeros
        listed = ("ward", "information") if column.key == "ward" else _KIND_LIST.get(
            column.kind)
        if listed is None:
            continue
        dv = lists.validation(*listed, prompt=note)
        dv.add(f"{letter}2:{letter}{_MAX_ROW}")
        ws.add_data_validation(dv)
    return ws


def _settings_sheet(wb: Workbook, lang: str, lists: _Lists) -> Worksheet:
    sheet = schema.SETTINGS
    ws = wb.create_sheet(getattr(sheet, lang))
    headers = [getattr(c, lang) for c in sheet.columns] + [_TITLE["label"][lang]]
    notes = [_column_text(sheet, c, lang) for c in sheet.columns] + [""]
    _header_row(ws, headers, notes, [False] * len(headers))
    for spec in SETTING_SPECS:
        ws.append([spec.name, _setting_value(spec, lang), setting_label(spec.name, lang)])
        row = ws.max_row
        ws.cell(row=row, column=1).data_type = "s"
        ws.cell(row=row, column=3).alignment = _WRAP
        if spec.kind is dt.date:
            ws.cell(row=row, column=2).number_format = DATE_FORMAT
        if spec.name == "gender_rule":
            dv = lists.validation("gender_rule", "stop", setting_label(spec.name, lang))
            dv.add(f"B{row}")
            ws.add_data_validation(dv)
    for letter, width in (("A", 30), ("B", 18), ("C", 80)):
        ws.column_dimensions[letter].width = width
    return ws


_INTRO = {
    "vi": [
        "TỆP MẪU DANH SÁCH ĐỂ LẬP KẾ HOẠCH GIÚP ĐỠ NGƯỜI TRỞ VỀ",
        "Cách điền:",
        "1. Mỗi trang tính là một danh sách; mỗi dòng là một người hoặc một chỗ làm, khóa "
        "học. Điền từ dòng 2, không để trống dòng ở giữa.",
        "2. Không đổi tên trang tính và tên cột ở dòng 1. Cột có tiêu đề màu đỏ là bắt buộc; "
        "di chuột vào tiêu đề để xem cách điền.",
        "3. Ô có mũi tên: chọn trong danh sách. Ngày ghi dạng ngày/tháng/năm (ví dụ "
        "15/03/2026). Số tiền ghi bằng đồng.",
        "4. Trang Việc làm, Học nghề, Cặp chỉ định, Vay vốn có thể để trống. Trang Cấu hình đã "
        "có giá trị mặc định; chỉ sửa khi cần.",
        "5. Lưu tệp dạng Excel (.xlsx) rồi tải lên trang Lập kế hoạch mới, hoặc kiểm tra trước "
        "bằng lệnh kiểm tra danh sách. Mọi lỗi được báo theo trang, dòng và cột.",
    ],
    "en": [
        "BLANK ROSTER FOR THE REINTEGRATION PLANNER",
        "How to fill it in:",
        "1. Each sheet is one list; each row one person, opening or course. Start at row 2 "
        "and leave no blank rows in between.",
        "2. Keep the sheet names and the headers of row 1. Red headers are required; hover "
        "over a header to see how to fill the column.",
        "3. Cells with an arrow: pick from the list. Dates DD/MM/YYYY (e.g. 15/03/2026). "
        "Amounts in dong.",
        "4. Jobs, Training, Pairs and Loans may stay empty. Settings holds the defaults; "
        "change them only when needed.",
        "5. Save as Excel (.xlsx) and upload it on the New plan page, or check it first with "
        "the validate command. Every problem is reported with sheet, row and column.",
    ],
}
_INSTR_HEAD = {"vi": ("Cột", "Bắt buộc", "Cách điền"), "en": ("Column", "Required", "How")}


def _instructions(ws: Worksheet, lang: str) -> None:
    ws.title = _TITLE["instructions"][lang]
    yes, no = ("Có", "Không") if lang == "vi" else ("Yes", "No")
    i = 0 if lang == "vi" else 1
    intro = _INTRO[lang]
    ws.append([intro[0]])
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    for line in intro[1:]:
        ws.append([line])
    for sheet in TEMPLATE_SHEETS:
        ws.append([])
        ws.append([getattr(sheet, lang), None, _SHEET_TEXT[sheet.key][i]])
        row = ws.max_row
        ws.cell(row=row, column=1).font = Font(bold=True, size=12, color="1F4E78")
        ws.cell(row=row, column=3).alignment = _WRAP
        ws.append(list(_INSTR_HEAD[lang]))
        for c in range(1, 4):
            cell = ws.cell(row=ws.max_row, column=c)
            cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _BORDER
        for column in sheet.columns:
            ws.append([getattr(column, lang), yes if column.required else no,
                       _column_text(sheet, column, lang)])
            for c in range(1, 4):
                cell = ws.cell(row=ws.max_row, column=c)
                cell.border, cell.alignment = _BORDER, _WRAP
        if sheet is schema.SETTINGS:
            ws.append([_TITLE["label"][lang], no,
                       "Giải thích tham số bằng lời." if lang == "vi"
                       else "What the setting means."])
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 95
    ws.sheet_view.showGridLines = False


def _build(lang: str) -> Workbook:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    wb = Workbook()
    _instructions(wb.active, lang)
    sheets = [s for s in TEMPLATE_SHEETS if s is not schema.SETTINGS]
    lists = _Lists(wb, lang)  # created first so the data sheets can refer to it
    for sheet in sheets:
        _data_sheet(wb, sheet, lang, lists)
    _settings_sheet(wb, lang, lists)
    wb.move_sheet(lists.ws, offset=len(wb.sheetnames) - 1 - wb.index(lists.ws))
    wb.active = 0
    return wb


def write_template(path: str | os.PathLike[str] | IO[bytes], lang: str = "vi") -> None:
    """Write the blank roster (Vietnamese, or English with ``lang="en"``) to ``path`` (a
    file name or a binary file object)."""
    _build(lang).save(path)


def template_bytes(lang: str = "vi") -> bytes:
    """The blank roster as the bytes of an .xlsx."""
    buf = io.BytesIO()
    write_template(buf, lang)
    return buf.getvalue()

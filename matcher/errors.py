"""Input problems: one :class:`Issue` per problem, all collected, in Vietnamese and English.

The library never shows a traceback to a coordinator: reading a roster either returns a
``Roster`` (whose ``warnings`` hold the non-blocking issues) or raises
:class:`RosterError` carrying *every* problem found, each with sheet, the row number
Excel shows, the column header and a message saying what to change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"

# code -> (english, vietnamese). Placeholders are filled from Issue.params.
MESSAGES: dict[str, tuple[str, str]] = {
    "unreadable_file": (
        "The file cannot be read as a spreadsheet ({detail}). Save it as .xlsx, .ods or .csv "
        "and upload it again.",
        "Không đọc được tệp như một bảng tính ({detail}). Hãy lưu lại dưới dạng .xlsx, .ods "
        "hoặc .csv rồi tải lên lại.",
    ),
    "missing_sheet": (
        "The workbook has no '{sheet}' sheet (Vietnamese: '{sheet_vi}'). Add it with its "
        "header row.",
        "Tệp không có trang '{sheet_vi}' ({sheet}). Hãy thêm trang này cùng dòng tiêu đề.",
    ),
    "ambiguous_sheet": (
        "Two sheets mean '{sheet}': {names}. Keep only one.",
        "Có hai trang cùng là '{sheet_vi}': {names}. Chỉ giữ lại một trang.",
    ),
    "missing_column": (
        "Required column '{column}' is missing (Vietnamese header: '{column_vi}'). Add it to "
        "the header row.",
        "Thiếu cột bắt buộc '{column_vi}' ({column}). Hãy thêm cột này vào dòng tiêu đề.",
    ),
    "duplicate_column": (
        "Two columns mean '{column}'. Delete or rename one of them.",
        "Có hai cột cùng là '{column_vi}'. Hãy xóa hoặc đổi tên một cột.",
    ),
    "empty_required": (
        "This cell is empty but '{column}' is required. Fill it in.",
        "Ô này đang trống nhưng '{column_vi}' là bắt buộc. Hãy điền vào.",
    ),
    "wrong_type": (
        "'{value}' is not {expected}. Write {example}.",
        "'{value}' không phải {expected_vi}. Hãy ghi {example}.",
    ),
    "out_of_range": (
        "{value} is out of range: it must be {limits}.",
        "{value} nằm ngoài khoảng cho phép: phải {limits_vi}.",
    ),
    "bad_choice": (
        "'{value}' is not one of the accepted values: {choices}.",
        "'{value}' không thuộc các giá trị được chấp nhận: {choices}.",
    ),
    "ward_in_two_pools": (
        "Ward '{value}' is already covered by capital pool {pool} (row {first_row}). A ward "
        "borrows from one pool only: remove it from one of the two rows.",
        "Phường/xã '{value}' đã thuộc nguồn vốn {pool} (dòng {first_row}). Mỗi phường/xã "
        "chỉ vay từ một nguồn vốn: hãy bỏ nó khỏi một trong hai dòng.",
    ),
    "duplicate_id": (
        "Id '{value}' is used again (first on row {first_row}). Give every row its own id.",
        "Mã '{value}' bị trùng (đã có ở dòng {first_row}). Mỗi dòng cần một mã riêng.",
    ),
    "no_location": (
        "No location: fill in the ward, or both latitude and longitude.",
        "Không có vị trí: hãy điền phường/xã, hoặc cả vĩ độ và kinh độ.",
    ),
    "half_coordinates": (
        "Only one of latitude/longitude is filled in. Fill in both, or neither and use the ward.",
        "Chỉ có một trong hai vĩ độ/kinh độ. Hãy điền cả hai, hoặc bỏ trống cả hai và dùng "
        "phường/xã.",
    ),
    "unknown_ward": (
        "Ward '{value}' is not in the gazetteer.{hint} Check the spelling, or add it to a "
        "'Gazetteer' sheet with its latitude and longitude.",
        "Không tìm thấy phường/xã '{value}' trong danh mục.{hint} Hãy kiểm tra chính tả, hoặc "
        "thêm vào trang 'Gazetteer' kèm vĩ độ và kinh độ.",
    ),
    "ambiguous_ward": (
        "Ward '{value}' is ambiguous; it could be: {candidates}. Write the full name, or add "
        "the old district (e.g. '{example}').",
        "Phường/xã '{value}' không rõ là đơn vị nào: {candidates}. Hãy ghi tên đầy đủ hoặc "
        "thêm huyện cũ (ví dụ '{example}').",
    ),
    "unknown_reference": (
        "{kind} '{value}' does not exist in the {target} sheet. Use an id from that sheet.",
        "{kind_vi} '{value}' không có trong trang {target_vi}. Hãy dùng một mã có trong trang "
        "đó.",
    ),
    "pair_needs_target": (
        "This row names neither a mentor, a job nor a training course. Fill in one of "
        "mentor_id, job_id or training_id.",
        "Dòng này không ghi cựu chiến binh, việc làm hay khóa học nghề. Hãy điền một trong "
        "các mã: cựu chiến binh, việc làm hoặc khóa học nghề.",
    ),
    "conflicting_rules": (
        "Pair {returnee} – {target} is both required and forbidden (rows {rows}). Keep one rule.",
        "Cặp {returnee} – {target} vừa bắt buộc vừa bị cấm (dòng {rows}). Chỉ giữ một quy tắc.",
    ),
    "impossible_date": (
        "'{value}' is not a real date. Write it as dd/mm/yyyy.",
        "'{value}' không phải ngày hợp lệ. Hãy ghi theo dạng dd/mm/yyyy.",
    ),
    "implausible_date": (
        "{value} is implausible: {why}.",
        "{value} không hợp lý: {why_vi}.",
    ),
    "age_limits": (
        "min_age {low} is greater than max_age {high}. Swap them or correct one.",
        "Tuổi tối thiểu {low} lớn hơn tuổi tối đa {high}. Hãy sửa lại.",
    ),
    "unknown_setting": (
        "Unknown setting '{value}'. Known settings: {choices}.",
        "Không có cấu hình '{value}'. Các cấu hình hợp lệ: {choices}.",
    ),
    "bad_availability": (
        "Availability '{value}' cannot be read ({detail}). Write e.g. 'Mon-Fri evening; Sat' or "
        "'T2-T6 tối; T7'.",
        "Không hiểu thời gian rảnh '{value}' ({detail}). Hãy ghi ví dụ 'T2-T6 tối; T7' hoặc "
        "'Mon-Fri evening; Sat'.",
    ),
    "no_rows": (
        "The sheet has a header but no data rows.",
        "Trang có dòng tiêu đề nhưng không có dữ liệu.",
    ),
    "formula_cell": (
        "This cell holds a formula ({value}); its value is used as text. Type the value itself.",
        "Ô này chứa công thức ({value}); giá trị được dùng như văn bản. Hãy nhập giá trị.",
    ),
    "missing_file": (
        "File '{value}' was not found. Check the name and the folder.",
        "Không tìm thấy tệp '{value}'. Hãy kiểm tra tên tệp và thư mục.",
    ),
    "empty_sheet": (
        "The '{sheet}' sheet is empty. Add the header row and the data rows.",
        "Trang '{sheet_vi}' đang trống. Hãy thêm dòng tiêu đề và các dòng dữ liệu.",
    ),
    "sheet_too_large": (
        "The sheet spans {rows} rows x {cols} columns (up to cell {cell}), far beyond a roster. "
        "Delete the stray cells outside the table and save again.",
        "Trang tính trải rộng {rows} dòng x {cols} cột (tới ô {cell}), quá lớn so với một danh "
        "sách. Hãy xóa các ô thừa bên ngoài bảng rồi lưu lại.",
    ),
    "bad_setting": (
        "Setting '{key}' cannot be '{value}': {detail}.",
        "Cấu hình '{key}' không nhận giá trị '{value}': {detail}.",
    ),
    "duplicate_setting": (
        "Setting '{value}' is given again (first on row {first_row}). Keep one row.",
        "Cấu hình '{value}' bị lặp lại (đã có ở dòng {first_row}). Chỉ giữ một dòng.",
    ),
    "bad_override": (
        "'{value}' is not of the form key=value (e.g. mentor_max_km=8).",
        "'{value}' không đúng dạng khóa=giá trị (ví dụ mentor_max_km=8).",
    ),
    "pair_two_targets": (
        "This row names more than one of a mentor, a job and a training course. Use one row "
        "for each.",
        "Dòng này ghi nhiều hơn một trong các mục cựu chiến binh, việc làm, khóa học nghề. Hãy "
        "tách thành một dòng cho mỗi mục.",
    ),
    "invalid_row": (
        "This row cannot be used: {detail}.",
        "Không dùng được dòng này: {detail}.",
    ),
    "internal_error": (
        "The roster could not be fully checked because of an internal error ({detail}). "
        "Please report this together with the file.",
        "Không kiểm tra hết được danh sách do lỗi nội bộ của chương trình ({detail}). Hãy báo "
        "lỗi này kèm theo tệp.",
    ),
    # warnings
    "ignored_file": (
        "File '{value}' was ignored: its name does not name a table. Name CSV files after "
        "their table, e.g. returnees.csv, mentors.csv, jobs.csv, training.csv, pairs.csv.",
        "Tệp '{value}' bị bỏ qua vì tên tệp không phải tên một bảng. Hãy đặt tên tệp CSV theo "
        "bảng, ví dụ nguoi tro ve.csv, cuu chien binh.csv, viec lam.csv, hoc nghe.csv.",
    ),
    "ward_point": (
        "Location taken from the ward point of {ward}: distances to people in the same ward "
        "are approximate.",
        "Vị trí lấy theo điểm đại diện của {ward}: khoảng cách tới người cùng phường/xã chỉ là "
        "ước tính.",
    ),
    "unreliable_point": (
        "The ward point of {ward} is flagged as unreliable ({note}); give latitude/longitude if "
        "you can.",
        "Điểm đại diện của {ward} có thể không chính xác ({note}); nên ghi vĩ độ/kinh độ nếu có.",
    ),
    "zero_capacity": (
        "Mentor {value} has capacity 0 and will get no mentee.",
        "Cựu chiến binh {value} có số người tối đa là 0 nên sẽ không được phân công.",
    ),
    "inactive_mentor": (
        "Mentor {value} is marked inactive and will get no mentee.",
        "Cựu chiến binh {value} không còn hoạt động nên sẽ không được phân công.",
    ),
    "old_ward_name": (
        "'{value}' is a pre-2025 name; read as {ward}.",
        "'{value}' là tên trước 2025; được hiểu là {ward}.",
    ),
}


# English fragments that reach messages through parameters (gazetteer candidate lists and
# its coordinate notes), and their Vietnamese wording.
_VI_FRAGMENTS = (
    (" (2025 unit)", " (đơn vị từ 2025)"),
    (", part)", ", một phần)"),
    (" (from the roster's Gazetteer sheet)", " (từ trang Gazetteer của danh sách)"),
    (" (from ", " (trước đây: "),
    ("MISPLACED: ", "ĐIỂM SAI: "),
    (" from its old units ", " so với các đơn vị cũ "),
    ("; coordinate lies in Thanh Hoa city", "; tọa độ nằm trong TP Thanh Hóa"),
    ("borderline: ", "sát ranh giới: "),
    (" km outside old district polygon", " km ngoài ranh giới huyện cũ"),
    ("unknown ward", "không rõ phường/xã"),
)


def _vi_fragments(text: str) -> str:
    for en, vi in _VI_FRAGMENTS:
        text = text.replace(en, vi)
    return text


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in the input. ``row`` is the row number Excel shows (header is row 1)."""

    code: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    severity: str = ERROR

    def message(self, lang: str = "en") -> str:
        en, vi = MESSAGES[self.code]
        template = vi if lang == "vi" else en
        params = self.params
        if lang == "vi":
            params = {k: _vi_fragments(v) if isinstance(v, str) else v
                      for k, v in params.items()}
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return template

    @property
    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(self.sheet)
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def format(self, lang: str = "en") -> str:
        where = self.where
        if lang == "vi":
            where = where.replace("row ", "dòng ").replace("column ", "cột ")
        kind = ("LỖI" if self.severity == ERROR else "CẢNH BÁO") if lang == "vi" else (
            "ERROR" if self.severity == ERROR else "WARNING")
        return f"{kind} {where}: {self.message(lang)}" if where else f"{kind}: {self.message(lang)}"

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message(lang),
        }


class RosterError(Exception):
    """The roster cannot be planned. ``issues`` holds every problem (errors and warnings)."""

    def __init__(self, issues: Iterable[Issue]):
        self.issues = list(issues)
        errors = [i for i in self.issues if i.severity == ERROR]
        super().__init__(f"{len(errors)} problem(s) in the roster")

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]


class PlanCheckError(Exception):
    """A computed plan broke a hard rule: a bug in the planner, never a result."""

    def __init__(self, violations: list[str]):
        self.violations = violations
        super().__init__("plan check failed: " + "; ".join(violations[:10]))


# Hostile or damaged files: refused by the reader's guards, or stopped by the limits of the
# process that reads them (matcher.io.sandbox). ``detail``/``detail_vi`` say what was too
# large, in each language.
MESSAGES.update({
    "file_too_large": (
        "The file is too large or too complex to read safely: {detail}. A roster does not "
        "need this; the file may be damaged or built to overload the server. Open it, keep "
        "only the roster sheets and save it again as a new .xlsx (or as .csv files).",
        "Tệp quá lớn hoặc quá phức tạp để đọc an toàn: {detail_vi}. Một danh sách không cần "
        "tới mức này; tệp có thể bị hỏng hoặc được tạo ra để làm quá tải máy chủ. Hãy mở "
        "tệp, chỉ giữ các trang của danh sách rồi lưu lại thành tệp .xlsx mới (hoặc các "
        "tệp .csv).",
    ),
    "unsafe_xml": (
        "The file holds XML declarations (DOCTYPE or ENTITY in '{part}') that a spreadsheet "
        "never has, so it was not read. Save the roster again from Excel or LibreOffice.",
        "Tệp chứa khai báo XML (DOCTYPE hoặc ENTITY trong '{part}') mà bảng tính không bao "
        "giờ có, nên không được đọc. Hãy lưu lại danh sách từ Excel hoặc LibreOffice.",
    ),
    "read_limit": (
        "The file could not be read within the limits ({detail}): it is too large or too "
        "complex to read safely. Open it, keep only the roster sheets and save it again as "
        "a new .xlsx (or as .csv files).",
        "Không đọc được tệp trong giới hạn cho phép ({detail_vi}): tệp quá lớn hoặc quá phức "
        "tạp để đọc an toàn. Hãy mở tệp, chỉ giữ các trang của danh sách rồi lưu lại thành "
        "tệp .xlsx mới (hoặc các tệp .csv).",
    ),
})

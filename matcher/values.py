"""Cell value parsers: numbers, dates, yes/no and enums in English and Vietnamese.

Each parser takes what a spreadsheet reader returns (str, int, float, bool, date,
datetime, None) and returns a clean value or raises ``ValueError`` with a short reason.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from matcher import catalog
from matcher.text import fold

_EXCEL_EPOCH = dt.date(1899, 12, 30)


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def parse_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_number(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError(catalog.bi("value.not_a_number"))
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        s = str(value).strip().replace(" ", "")
        if re.fullmatch(r"-?\d{1,3}(\.\d{3}){2,}", s):  # 1.000.000: thousands separators
            s = s.replace(".", "")
        s = s.replace(",", ".")
        try:
            number = float(s)
        except ValueError:
            raise ValueError(catalog.bi("value.not_a_number")) from None
    if not math.isfinite(number):
        raise ValueError(catalog.bi("value.not_finite"))
    return number


def parse_int(value: object) -> int:
    number = parse_number(value)
    if number != int(number):
        raise ValueError(catalog.bi("value.not_whole"))
    if abs(number) > 2**53:
        raise ValueError(catalog.bi("value.too_large"))
    return int(number)


_DATE_PATTERNS = (
    (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$"), ("y", "m", "d")),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), ("y", "m", "d")),
)


class ImpossibleDate(ValueError):
    """Looks like a date but does not exist (31/02/2025)."""


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(catalog.bi("value.not_a_date"))
    if isinstance(value, (int, float)):
        # an Excel serial number that reached us as a number
        if not 1 <= value < 2958466:
            raise ValueError(catalog.bi("value.not_a_date"))
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    s = str(value).strip()
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(s)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups())))
            try:
                return dt.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                raise ImpossibleDate(catalog.bi("value.impossible_date")) from None
    raise ValueError(catalog.bi("value.not_a_date"))


_YES = {"yes", "y", "co", "x", "1", "true", "dung", "phai", "v", "1.0"}
_NO = {"no", "n", "khong", "0", "false", "sai", "0.0", "k"}


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    key = fold(value)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(catalog.bi("value.not_yes_no"))


def _enum(table: dict[str, str]) -> dict[str, str]:
    return {fold(k): v for k, v in table.items()}


GENDER_WORDS = _enum({"m": "M", "male": "M", "nam": "M", "man": "M",
                      "f": "F", "female": "F", "nu": "F", "woman": "F", "nữ": "F"})
OFFENSE_WORDS = _enum({
    "drugs": "drugs", "drug": "drugs", "ma túy": "drugs", "ma tuý": "drugs", "ma tuy": "drugs",
    "matuy": "drugs",
    "property": "property", "tài sản": "property", "trộm cắp": "property", "trộm cắp tài sản":
    "property", "xâm phạm sở hữu": "property",
    "violence": "violence", "bạo lực": "violence", "cố ý gây thương tích": "violence",
    "gây thương tích": "violence",
    "fraud": "fraud", "lừa đảo": "fraud", "lừa đảo chiếm đoạt tài sản": "fraud",
    "traffic": "traffic", "giao thông": "traffic", "vi phạm giao thông": "traffic",
    "other": "other", "khác": "other",
})
RISK_WORDS = _enum({"1": "1", "low": "1", "thấp": "1", "2": "2", "medium": "2",
                    "trung bình": "2", "tb": "2", "3": "3", "high": "3", "cao": "3"})
SPECIALTY_WORDS = _enum({
    "drugs": "drugs", "ma túy": "drugs", "ma tuy": "drugs", "cai nghiện": "drugs",
    "youth": "youth", "thanh niên": "youth", "thanh thiếu niên": "youth",
    "women": "women", "phụ nữ": "women", "nữ": "women",
    "jobs": "jobs", "việc làm": "jobs",
    "legal": "legal", "pháp luật": "legal", "pháp lý": "legal",
})
SHIFT_WORDS = _enum({"day": "day", "ngày": "day", "ca ngày": "day", "hành chính": "day",
                     "night": "night", "đêm": "night", "ca đêm": "night",
                     "any": "any", "bất kỳ": "any", "linh hoạt": "any", "ca kíp": "any"})
SCHEDULE_WORDS = _enum({"day": "day", "ngày": "day", "ban ngày": "day",
                        "evening": "evening", "tối": "evening", "buổi tối": "evening"})
RULE_WORDS = _enum({"require": "require", "required": "require", "bắt buộc": "require",
                    "bắt buộc ghép": "require",
                    "forbid": "forbid", "forbidden": "forbid", "cấm": "forbid",
                    "không ghép": "forbid", "không được ghép": "forbid"})


LOAN_PURPOSE_WORDS = _enum({"business": "business", "production": "business",
                            "sản xuất, kinh doanh": "business", "sản xuất kinh doanh": "business",
                            "sản xuất": "business", "kinh doanh": "business",
                            "other": "other", "khác": "other"})


def parse_choice(value: object, table: dict[str, str]) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    key = fold(value)
    if key in table:
        return table[key]
    raise ValueError(catalog.bi("value.not_accepted"))


def parse_list(value: object, table: dict[str, str] | None = None) -> frozenset[str]:
    """Comma/semicolon separated list. With ``table`` every item must be known."""
    if is_blank(value):
        return frozenset()
    items = [p.strip() for p in re.split(r"[,;/|]", str(value)) if p.strip()]
    if table is None:
        return frozenset(fold(i) for i in items)
    out = set()
    for item in items:
        key = fold(item)
        if key not in table:
            raise ValueError(catalog.bi("value.item_not_accepted", item=item))
        out.add(table[key])
    return frozenset(out)

"""Text shared by the whole library: normalisation for headers, enums, ward names and
search, and the bilingual text type of reasons and notes.

Vietnamese coordinators type names with or without accents and in any case, so every
comparison of user text goes through :func:`fold` first. A reason the planner gives is a
:class:`Bi`: its English wording, carrying its Vietnamese wording along.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[\s_]+")


def strip_accents(text: str) -> str:
    """Remove Vietnamese diacritics: 'Hàm Rồng' -> 'Ham Rong', 'Đông' -> 'Dong'."""
    # U+00D0/U+00F0 (Icelandic eth) often stands in for the Vietnamese Đ/đ in old files
    text = text.replace("đ", "d").replace("Đ", "D").replace("Ð", "D").replace("ð", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold(text: object) -> str:
    """Case-, accent- and whitespace-insensitive key for user text."""
    if text is None:
        return ""
    return _fold(str(text))


@lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    # the same ward, employer and sector names are folded again and again (a province
    # roster: 35,000 times while read, 9,000 while loans are allocated)
    s = unicodedata.normalize("NFC", text).strip()
    s = strip_accents(s).casefold()
    return _SPACES.sub(" ", s).strip()


def header_key(text: object) -> str:
    """Key for column headers: folded, punctuation dropped ('Vĩ độ' -> 'vi do',
    'max_commute_km' -> 'max commute km', 'Đi làm tối đa (km)' -> 'di lam toi da km')."""
    s = fold(text)
    s = re.sub(r"[^0-9a-z]+", " ", s)
    return s.strip()


class Bi(str):
    """English text (the str value) that also carries its Vietnamese wording in ``vi``."""

    vi: str

    def __new__(cls, en: str, vi: str) -> Bi:
        obj = super().__new__(cls, en)
        obj.vi = vi
        return obj

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        # pickled with both wordings (plans cross processes: split regions, web worker)
        return str(self), self.vi


def vi_of(text: str) -> str:
    return getattr(text, "vi", text)


def join_bi(parts: list[str], sep: str = "; ") -> Bi:
    return Bi(sep.join(str(x) for x in parts), sep.join(vi_of(x) for x in parts))

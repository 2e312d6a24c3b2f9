"""The words of the plan workbook in Vietnamese and English: sheet names, column headers,
labels and enum words, in one table (:data:`TEXT`)."""

from __future__ import annotations

from typing import Any

from matcher import catalog

LANGS = ("vi", "en")


# The workbook's words: (English, Vietnamese) by key, from the message catalogue
# (matcher/locale; keys "sheet:*", "col:*", "word:*", "sum:*", "score:*", ...).
TEXT = catalog.Pairs()


def _t(key: str, lang: str) -> str:
    return catalog.text(key, lang)


def _word(kind: str, value: Any, lang: str) -> Any:
    key = f"word:{kind}{value}" if kind else f"word:{value}"
    return _t(key, lang) if key in TEXT else value


def _yes(flag: bool, lang: str) -> str:
    return _t("word:yes" if flag else "word:no", lang)

"""The one message catalogue of the planner: every word a coordinator reads, in gettext.

The messages live in ``matcher/locale/messages.pot`` (the template: a key in ``msgctxt``,
the English wording in ``msgid``, ``msgid_plural`` where a count changes the words) and
one catalogue per language, ``matcher/locale/<lang>/LC_MESSAGES/messages.po``, which a
translator opens in Poedit or Weblate. ``make`` (and ``run.bat``/``run.ps1``) compiles
them to ``.mo`` with ``pybabel compile``; a missing or stale ``.mo`` is compiled in memory
from its ``.po`` so a fresh checkout still speaks both languages.

The web app, the CLI, the workbook, the documents, the input problems and the planner's
reasons all ask :func:`text` (one language), :func:`bi` (both: a :class:`~matcher.text.Bi`
carrying the English and the Vietnamese) or their plural forms :func:`ntext`/:func:`nbi`.
Placeholders are ``{name}`` or ``{name:spec}``; numbers filled into them are written the
way the language writes numbers (Babel's symbols for the locale: ``1,4 km`` and ``12.345``
in Vietnamese, ``1.4 km`` and ``12,345`` in English), a :class:`Bi` parameter gives the
wording of the language asked for.

A key missing from the catalogue is a bug: with :data:`STRICT` set (the tests set it) it
raises :class:`MissingMessage`; otherwise the English wording or the key itself is shown.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from matcher.text import Bi

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
STRICT = False  # the tests set it: a key missing from a catalogue raises

__all__ = ["LANGS", "DEFAULT_LANG", "MissingMessage", "text", "ntext", "bi", "nbi",
           "number", "percent", "date", "millions", "all_keys", "has", "lang_of"]


class MissingMessage(KeyError):
    """A key used by the code is not in a language's catalogue."""


class _Catalogue:
    """One language's compiled catalogue: key -> plural forms, and its plural rule."""

    __slots__ = ("forms", "plural", "english")

    def __init__(self, forms: dict[str, list[str]], plural: Callable[[int], int],
                 english: dict[str, list[str]]):
        self.forms = forms
        self.plural = plural
        self.english = english  # key -> [msgid, msgid_plural]: the fallback wording


def _po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compiled(lang: str) -> bytes:
    """The ``.mo`` bytes of a language: the compiled file when it is newer than its
    ``.po``, else compiled now (in memory) with Babel."""
    po = _po_path(lang)
    mo = po.with_suffix(".mo")
    try:
        if mo.stat().st_mtime >= po.stat().st_mtime:
            return mo.read_bytes()
    except OSError:
        pass
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


@cache
def _catalogue(lang: str) -> _Catalogue:
    tr = gettext.GNUTranslations(io.BytesIO(_compiled(lang)))
    forms: dict[str, list[str]] = {}
    english: dict[str, list[str]] = {}
    # the compiled table: "key\x04msgid" -> text, or ("key\x04msgid", i) -> plural form i
    for k, value in tr._catalog.items():  # noqa: SLF001 - gettext's documented layout
        ident, index = (k if isinstance(k, tuple) else (k, 0))
        if "\x04" not in ident:
            continue  # the header entry
        key, msgid = ident.split("\x04", 1)
        slot = forms.setdefault(key, [])
        while len(slot) <= index:
            slot.append("")
        slot[index] = value
        english.setdefault(key, [msgid])
    return _Catalogue(forms, tr.plural, english)


def all_keys(lang: str = DEFAULT_LANG) -> set[str]:
    return set(_catalogue(lang).forms)


def has(key: str) -> bool:
    return key in _catalogue(DEFAULT_LANG).forms


def lang_of(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def _template(key: str, lang: str, n: int | None) -> str:
    cat = _catalogue(lang_of(lang))
    forms = cat.forms.get(key)
    if not forms or not any(forms):
        if STRICT:
            raise MissingMessage(f"{key!r} is not in the {lang} catalogue")
        other = _catalogue("en").forms.get(key) or cat.english.get(key)
        return other[0] if other else key
    if n is None or len(forms) == 1:
        return forms[0]
    index = cat.plural(n)
    return forms[index] if index < len(forms) and forms[index] else forms[-1]


# ---------------------------------------------------------------- numbers, dates

@cache
def _symbols(lang: str) -> tuple[str, str, str]:
    """(decimal mark, group mark, percent sign with its spacing) of a language, from
    Babel's locale data."""
    from babel import Locale

    loc = Locale.parse("vi_VN" if lang == "vi" else "en_US")
    syms = loc.number_symbols.get("latn", loc.number_symbols)
    pattern = loc.percent_formats[None].pattern
    # the SPEC (and Vietnamese office writing) puts a space before the sign: 99,2 %;
    # CLDR's Vietnamese pattern has none, so the language's own rule is added here
    space = "\u00a0" if lang == "vi" or re.search(r"[\s\u00a0]%", pattern) else ""
    return syms["decimal"], syms["group"], space + syms["percentSign"]


def _localise(s: str, lang: str) -> str:
    dec, group, _ = _symbols(lang)
    if dec == "." and group == ",":
        return s
    return s.translate({ord(","): "\x00", ord("."): dec}).replace("\x00", group)


def number(x: float | int, lang: str, decimals: int | None = None,
           grouping: bool | None = None) -> str:
    """``x`` written the language's way. ``decimals`` None: whole numbers as they are,
    others with at most one decimal (trailing zero dropped). Thousands are grouped from
    10 000 (so years and small counts stay plain) unless ``grouping`` says otherwise."""
    if isinstance(x, bool):
        return str(x)
    if grouping is None:
        grouping = abs(x) >= 10_000
    g = "," if grouping else ""
    if decimals is None:
        if float(x).is_integer():
            s = format(int(x), g + "d")
        else:
            s = format(float(x), g + ".1f").rstrip("0").rstrip(".")
    else:
        s = format(float(x), f"{g}.{decimals}f")
    return _localise(s, lang)


def millions(vnd: int, lang: str) -> str:
    """An amount in millions of VND, the way each language writes it ("12.5 million VND",
    "12,5 triệu đồng", "2.000 triệu đồng")."""
    return text("money.millions", lang, m=vnd / 1_000_000)


def percent(fraction: float, lang: str, decimals: int = 1) -> str:
    """A share written as a percentage.

    ``99,2 %`` (a non-breaking space before the sign) in Vietnamese, ``99.2%`` in English.
    """
    s = format(fraction * 100, f".{decimals}f")
    if decimals and s.endswith("0" * decimals):
        s = s[: -decimals - 1]
    return _localise(s, lang) + _symbols(lang)[2]


def date(d: dt.date | str | None, lang: str) -> str:
    """A date the way offices write it: 06/12/2026 in Vietnamese, Dec 6, 2026 in English
    (Babel's medium format)."""
    if d is None or d == "":
        return ""
    if isinstance(d, str):
        try:
            d = dt.date.fromisoformat(d[:10])
        except ValueError:
            return d
    if lang_of(lang) == "vi":
        return d.strftime("%d/%m/%Y")
    from babel.dates import format_date

    return format_date(d, format="medium", locale="en_US")


# ---------------------------------------------------------------- filling placeholders

_FIELD = re.compile(r"\{(\w+)(?::([^{}]*))?\}")
_SPEC = re.compile(r"^(,)?(?:\.(\d+))?([fd%])?$")


def _value(v: Any, spec: str | None, lang: str) -> str:
    if v.__class__ is str and not spec:  # most values: a name, an id, a word
        return v
    if isinstance(v, Bi):
        return v.vi if lang == "vi" else str(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        m = _SPEC.match(spec or "")
        if m is None:
            return format(v, spec or "")
        comma, decimals, kind = m.groups()
        if kind == "%":
            return percent(v, lang, int(decimals or 0))
        return number(v, lang, None if decimals is None else int(decimals),
                      True if comma else None)
    return format(v, spec) if spec else str(v)


@lru_cache(maxsize=8192)
def _pieces(template: str) -> tuple[str | tuple[str, str | None, str], ...]:
    """A template cut once into its text and its placeholders ``(name, spec, as
    written)``: filling it is then a join (the province plan fills 300,000 messages)."""
    out: list[str | tuple[str, str | None, str]] = []
    pos = 0
    for m in _FIELD.finditer(template):
        if m.start() > pos:
            out.append(template[pos:m.start()])
        out.append((m.group(1), m.group(2), m.group(0)))
        pos = m.end()
    if pos < len(template):
        out.append(template[pos:])
    return tuple(out)


def _fill(template: str, lang: str, params: dict[str, Any]) -> str:
    if not params or "{" not in template:
        return template
    out = []
    for piece in _pieces(template):
        if piece.__class__ is str:
            out.append(piece)
            continue
        name, spec, written = piece
        if name in params:
            out.append(_value(params[name], spec, lang))
        elif STRICT:
            raise MissingMessage(f"no value for {{{name}}} in {template!r}")
        else:
            out.append(written)
    return "".join(out)


def text(key: str, lang: str | None, /, **params: Any) -> str:
    """The message ``key`` in ``lang``, its placeholders filled from ``params``."""
    lang = lang_of(lang)
    if not params:  # a word of the workbook: looked up once (province: 220,000 calls)
        return _plain(key, lang)
    return _fill(_plain(key, lang), lang, params)


@cache
def _plain(key: str, lang: str) -> str:
    return _template(key, lang, None)


def ntext(key: str, n: int, lang: str | None, /, **params: Any) -> str:
    """The plural message ``key`` for the count ``n`` (also placeholder ``{n}``)."""
    lang = lang_of(lang)
    params.setdefault("n", n)
    return _fill(_template(key, lang, n), lang, params)


def bi(key: str, /, **params: Any) -> Bi:
    """The message in both languages: English as the string, Vietnamese in ``.vi``."""
    return Bi(text(key, "en", **params), text(key, "vi", **params))


def nbi(key: str, n: int, /, **params: Any) -> Bi:
    return Bi(ntext(key, n, "en", **params), ntext(key, n, "vi", **params))


class Pairs:
    """A read-only view of the catalogue entries under a prefix as (English, Vietnamese)
    pairs, for code that looks words up by key (``pairs["sheet:loans"]``)."""

    __slots__ = ("prefix", "_keys")

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self._keys: tuple[object, tuple[str, ...]] | None = None  # (catalogue, its keys)

    def __getitem__(self, key: str) -> tuple[str, str]:
        full = self.prefix + key
        if not has(full):
            raise KeyError(key)
        return text(full, "en"), text(full, "vi")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and has(self.prefix + key)

    def __iter__(self):
        # the keys once per loaded catalogue: the province workbook iterated a view 3,821
        # times, each a sort of the whole catalogue (1.8 s)
        cat = _catalogue(DEFAULT_LANG)
        if self._keys is None or self._keys[0] is not cat:
            n = len(self.prefix)
            self._keys = (cat, tuple(sorted(k[n:] for k in cat.forms
                                            if k.startswith(self.prefix))))
        return iter(self._keys[1])

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

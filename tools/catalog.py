"""Maintain the message catalogue (matcher/locale): add messages, check it, compile it.

    python tools/catalog.py add KEY --en "English {x}" --vi "Tiếng Việt {x}" \
        [--en-plural "English plural {n}"]
    python tools/catalog.py check      # every .po has every template key, translated
    python tools/catalog.py compile    # .po -> .mo (what `make` does with pybabel)

A new message goes into the template (messages.pot: key in msgctxt, English in msgid)
and into each language's messages.po; translators then edit the .po files in Poedit or
Weblate, and `pybabel update -i matcher/locale/messages.pot -d matcher/locale` merges
template changes into them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "matcher" / "locale"
POT = LOCALE / "messages.pot"
LANGS = ("vi", "en")


def _po(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "messages.po"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _block(key: str, en: str, en_plural: str | None, strings: list[str]) -> str:
    lines = [f"msgctxt {_quote(key)}", f"msgid {_quote(en)}"]
    if en_plural is None:
        lines.append(f"msgstr {_quote(strings[0])}")
    else:
        lines.append(f"msgid_plural {_quote(en_plural)}")
        lines += [f"msgstr[{i}] {_quote(s)}" for i, s in enumerate(strings)]
    return "\n".join(lines) + "\n\n"


def _keys(path: Path) -> set[str]:
    with path.open("rb") as fh:
        return {m.context for m in read_po(fh) if m.id}


def add(key: str, en: str, vi: str, en_plural: str | None) -> None:
    if key in _keys(POT):
        sys.exit(f"{key} is already in the catalogue")
    plural = en_plural is not None
    with POT.open("a", encoding="utf-8") as fh:
        fh.write(_block(key, en, en_plural, ["", ""] if plural else [""]))
    with _po("vi").open("a", encoding="utf-8") as fh:
        fh.write(_block(key, en, en_plural, [vi]))  # Vietnamese: one form
    with _po("en").open("a", encoding="utf-8") as fh:
        fh.write(_block(key, en, en_plural, [en, en_plural] if plural else [en]))


def check() -> int:
    template = _keys(POT)
    bad = 0
    for lang in LANGS:
        with _po(lang).open("rb") as fh:
            cat = read_po(fh, locale=lang)
        have = {m.context: m for m in cat if m.id}
        for key in sorted(template - set(have)):
            print(f"{lang}: {key} missing")
            bad += 1
        for key, m in have.items():
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            if not all(strings) or m.fuzzy:
                print(f"{lang}: {key} untranslated or fuzzy")
                bad += 1
    return 1 if bad else 0


def compile_all() -> None:
    from babel.messages.mofile import write_mo

    for lang in LANGS:
        with _po(lang).open("rb") as fh:
            cat = read_po(fh, locale=lang)
        with _po(lang).with_suffix(".mo").open("wb") as fh:
            write_mo(fh, cat)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("add")
    a.add_argument("key")
    a.add_argument("--en", required=True)
    a.add_argument("--vi", required=True)
    a.add_argument("--en-plural")
    sub.add_parser("check")
    sub.add_parser("compile")
    args = ap.parse_args()
    if args.cmd == "add":
        add(args.key, args.en, args.vi, args.en_plural)
        return 0
    if args.cmd == "check":
        return check()
    compile_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

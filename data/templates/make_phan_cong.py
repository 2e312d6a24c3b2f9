"""Rebuild the default assignment template ``phan_cong.docx`` beside this script:

    python data/templates/make_phan_cong.py

The placeholders it holds are listed in ``matcher.io.assignment_doc.PLACEHOLDERS`` and in
the README ("Documents to sign"). Coordinators edit a copy in Word, not this script.
"""

from __future__ import annotations

from pathlib import Path

from matcher.io.assignment_doc import build_default_template

if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "phan_cong.docx"
    out.write_bytes(build_default_template())
    print(f"Wrote {out}")

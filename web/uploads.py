"""Checking and storing uploaded spreadsheets.

A file is accepted only when its extension is a spreadsheet type AND its bytes are what
that extension promises. It is stored under a generated name; the user's file name is
kept only as display text in the database.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".csv", ".tsv", ".txt")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MAX_DISPLAY_NAME = 120


class UploadRejected(Exception):
    """A file that is not what it claims; ``msgid``/``params`` make the user's message."""

    def __init__(self, msgid: str, **params: str):
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


@dataclass(frozen=True)
class Upload:
    display_name: str
    suffix: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def display_name(filename: str | None) -> str:
    """The last path part of the user's file name, trimmed, for display only."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:MAX_DISPLAY_NAME] or "?"


def check_upload(filename: str | None, data: bytes) -> Upload:
    """Return the checked upload or raise :class:`UploadRejected`."""
    name = display_name(filename)
    suffix = PurePosixPath(name.lower()).suffix
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadRejected("upload.bad_type", name=name)
    if not data:
        raise UploadRejected("upload.empty", name=name)
    if not _content_matches(suffix, data):
        raise UploadRejected("upload.bad_content", name=name, kind=suffix)
    return Upload(name, suffix, data)


def _content_matches(suffix: str, data: bytes) -> bool:
    if suffix in (".xlsx", ".xlsm", ".ods"):
        if not data.startswith(ZIP_MAGIC):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                if suffix == ".ods":
                    if "mimetype" not in names:
                        return False
                    with zf.open("mimetype") as fh:
                        return fh.read(len(ODS_MIMETYPE) + 8).strip() == ODS_MIMETYPE
                return "[Content_Types].xml" in names and any(
                    n.startswith("xl/workbook") for n in names)
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
    if suffix == ".xls":
        return data.startswith(OLE_MAGIC)
    if suffix in (".csv", ".tsv", ".txt"):
        return _is_text(data)
    return False


def _is_text(data: bytes) -> bool:
    """Text the CSV engine can read: UTF-8, Vietnamese Windows, or Excel's "Unicode
    Text" (UTF-16 with a byte-order mark), with no control characters but tab and line
    ends. Imported here: the library's text decoding brings numpy, which pages do not
    need."""
    from matcher.io.guards import Unreadable
    from matcher.io.tables import decode_text

    try:
        text = decode_text(data)
    except Unreadable:
        return False
    return not any(ord(ch) < 32 and ch not in "\t\r\n\f" for ch in text)


def _generated_name(directory: Path, role: str, suffix: str) -> str:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return f"{role}-{secrets.token_hex(8)}{suffix}"


def store(upload: Upload, directory: Path, *, role: str) -> str:
    """Write the upload under a generated name in ``directory``; return that name."""
    stored_name = _generated_name(directory, role, upload.suffix)
    (directory / stored_name).write_bytes(upload.data)
    return stored_name


def copy_in(source: Path, directory: Path, *, role: str) -> tuple[str, int, str]:
    """Copy a file the app already holds (an earlier run's) under a generated name;
    return (stored name, size, sha256)."""
    data = source.read_bytes()
    stored_name = _generated_name(directory, role, source.suffix.lower())
    (directory / stored_name).write_bytes(data)
    return stored_name, len(data), hashlib.sha256(data).hexdigest()

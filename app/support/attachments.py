"""Attachments: validate uploads (count, size, type), store them outside the web root, serve them.

A file is accepted only when its extension is on the allow-list AND its first bytes look like
that kind of file (a renamed executable is refused). The content type stored and later sent is
ours, never the browser's. Files get random names under UPLOAD_DIR; the original name is kept only
in the database, for the download's Content-Disposition.

Files are written before the transaction commits (the row must point at a file that exists); if
that transaction rolls back instead, the files it wrote are deleted, so a failed request leaves
neither rows nor files behind.
"""

import logging
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.errors import DomainError, NotFound
from app.core.permissions import can_view_ticket
from app.extensions import db
from app.models import Attachment
from app.models.base import utcnow

log = logging.getLogger(__name__)

FILENAME_MAX = 200
_NEW_FILES_KEY = "tandem_new_upload_paths"  # session.info: files written in the open transaction


def _starts(*magics):
    return lambda head: any(head.startswith(m) for m in magics)


def _is_webp(head):
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _is_text(head):
    # No NUL byte and valid UTF-8 (a multi-byte character may be cut at the end of the sample).
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


_ZIP = _starts(b"PK\x03\x04", b"PK\x05\x06")
_OLE = _starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # legacy Office (.doc, .xls, .ppt)

# extension → (content type sent on download, check of the first bytes)
ALLOWED_TYPES = {
    "png": ("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "gif": ("image/gif", _starts(b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", _is_webp),
    "pdf": ("application/pdf", _starts(b"%PDF-")),
    "txt": ("text/plain", _is_text),
    "log": ("text/plain", _is_text),
    "md": ("text/plain", _is_text),
    "csv": ("text/csv", _is_text),
    "zip": ("application/zip", _ZIP),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    "odp": ("application/vnd.oasis.opendocument.presentation", _ZIP),
    "doc": ("application/msword", _OLE),
    "xls": ("application/vnd.ms-excel", _OLE),
    "ppt": ("application/vnd.ms-powerpoint", _OLE),
    "rtf": ("application/rtf", _starts(b"{\\rtf")),
}
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Upload:
    """One accepted file, read into memory (uploads are a few megabytes at most)."""

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self):
        return len(self.data)


def limits():
    """(bytes per file, bytes in all, number of files) for one message."""
    cfg = current_app.config
    return cfg["MAX_UPLOAD_BYTES"], cfg["MAX_UPLOAD_TOTAL_BYTES"], cfg["MAX_UPLOAD_FILES"]


def allowed_extensions():
    return sorted(ALLOWED_TYPES)


def upload_rules():
    """What the upload field tells people: accepted types and the limits, readable."""
    per_file, total, count = limits()
    return {"types": allowed_extensions(), "per_file": human_size(per_file), "total": human_size(total),
            "max_files": count}


def human_size(size):
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return _("%(n)d bytes", n=size)


def clean_filename(raw):
    """The name a person gave the file, without directories or control characters, bounded."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    name = " ".join(name.split())
    if len(name) > FILENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: FILENAME_MAX - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:FILENAME_MAX]
    return name


def extension(filename):
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def validate_uploads(files):
    """Check every uploaded file; return them as Uploads, or raise DomainError naming the problem.

    `files` are werkzeug FileStorage objects (request.files.getlist(...)); the empty part a
    browser sends when no file was chosen is skipped. Nothing is written here.
    """
    per_file, total_cap, max_files = limits()
    chosen = [f for f in files if f is not None and (f.filename or "").strip()]
    if len(chosen) > max_files:
        raise DomainError(_("Attach at most %(n)d files.", n=max_files), field="attachments")
    uploads, total = [], 0
    for storage in chosen:
        name = clean_filename(storage.filename)
        ext = extension(name)
        if ext not in ALLOWED_TYPES:
            raise DomainError(_(
                "“%(name)s” is not a file type we accept. Allowed: %(types)s.",
                name=name or storage.filename, types=", ".join(allowed_extensions())), field="attachments")
        data = storage.stream.read(per_file + 1)
        if len(data) > per_file:
            raise DomainError(_("“%(name)s” is too large (at most %(limit)s a file).",
                                name=name, limit=human_size(per_file)), field="attachments")
        if not data:
            raise DomainError(_("“%(name)s” is empty.", name=name), field="attachments")
        content_type, looks_right = ALLOWED_TYPES[ext]
        if not looks_right(data[:SNIFF_BYTES]):
            raise DomainError(_("“%(name)s” does not look like a .%(ext)s file.", name=name, ext=ext),
                              field="attachments")
        total += len(data)
        if total > total_cap:
            raise DomainError(_("The attachments are too large together (at most %(limit)s in all).",
                                limit=human_size(total_cap)), field="attachments")
        uploads.append(Upload(filename=name, content_type=content_type, data=data))
    return uploads


def upload_root():
    return Path(current_app.config["UPLOAD_DIR"])


def file_path(attachment):
    """Where an attachment's bytes live (storage keys are ours: two hex characters / 32 hex)."""
    key = attachment.storage_key
    if not key or ".." in key or key.startswith("/"):
        raise ValueError(f"bad storage key {key!r}")
    return upload_root() / key


def store_attachments(message, uploads, now=None):
    """Write the files and add their Attachment rows to `message`; flushes, never commits."""
    now = now or utcnow()
    session = db.session()
    rows = []
    for upload in uploads:
        token = secrets.token_hex(16)
        key = f"{token[:2]}/{token}"
        path = upload_root() / key
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as fh:  # "x": a random name that exists already is never overwritten
            fh.write(upload.data)
        session.info.setdefault(_NEW_FILES_KEY, []).append(str(path))
        row = Attachment(message=message, filename=upload.filename, content_type=upload.content_type,
                         size=upload.size, storage_key=key, created_at=now)
        session.add(row)
        rows.append(row)
    if rows:
        session.flush()
    return rows


def attachment_for_viewer(user, attachment_id):
    """The attachment if `user` may download it: they may see the ticket and, unless staff, the
    message is public (an internal note's files never reach customers). NotFound otherwise."""
    attachment = db.session.get(Attachment, attachment_id)
    message = attachment.message if attachment is not None else None
    if message is None or not can_view_ticket(user, message.ticket) or not (message.public or user.is_staff):
        raise NotFound(_("Attachment not found."))
    return attachment


# --- files of a transaction that did not commit are removed ---------------------------------

@event.listens_for(Session, "after_commit")
def _keep_committed_files(session):
    if not session.in_nested_transaction():
        session.info.pop(_NEW_FILES_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session, transaction):
    if transaction.parent is not None:
        return
    for path in session.info.pop(_NEW_FILES_KEY, None) or ():
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove the uncommitted upload %s: %s", path, exc)

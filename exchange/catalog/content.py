"""Uploaded module content (PDF, video, audio, SCORM/cmi5 packages, slides).

Files are stored under UPLOAD_DIR with a random folder name, never a name the uploader
chose, and served only as attachments to people allowed to launch the module.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from exchange.errors import FieldValidationError

ALLOWED_EXTENSIONS = {"pdf", "mp4", "m4v", "webm", "mp3", "m4a", "zip", "pptx", "docx", "epub"}


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def store_content_file(upload: FileStorage, field: str = "content_file") -> tuple[str, str]:
    """Save an upload; returns (stored relative path, original file name)."""
    original = (upload.filename or "").strip()
    name = secure_filename(original)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_EXTENSIONS:
        allowed = ", ".join(sorted(ALLOWED_EXTENSIONS))
        raise FieldValidationError({field: [f"Upload one of these file types: {allowed}."]})
    relative = Path("modules") / secrets.token_hex(12) / name
    target = upload_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    upload.save(target)
    if target.stat().st_size == 0:
        target.unlink()
        raise FieldValidationError({field: ["The file is empty."]})
    return relative.as_posix(), original[:300]


def discard_content_file(stored: str | None) -> None:
    """Delete a stored upload whose module change did not go through."""
    if not stored:
        return
    try:
        path = content_path(stored)
    except FileNotFoundError:
        return
    path.unlink(missing_ok=True)
    if not any(path.parent.iterdir()):  # the random folder made for this upload
        path.parent.rmdir()


def content_path(stored: str) -> Path:
    """The absolute path of a stored file, refusing anything outside UPLOAD_DIR."""
    root = upload_root().resolve()
    path = (root / stored).resolve()
    if root not in path.parents:
        raise FileNotFoundError(stored)
    return path

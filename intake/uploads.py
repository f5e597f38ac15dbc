"""Attachments are encrypted as they stream in: no plaintext byte reaches disk, not even /tmp.

Django's default upload handlers keep small files in memory and spill large ones to a temporary
file in plaintext (docs/security.md, section 1 forbids that). The intake views install
EncryptingUploadHandler instead: each chunk Django reads from the request is added to a SHA-256,
checked against the size limit, sealed with the case key (intake/crypto/items.py, seal_chunks) and
appended to an encrypted file under MEDIA_ROOT/attachments/. The file's name, type, size and
digest are kept in memory until the view seals them into the attachment's metadata.

Problems (too many files, too large, a type we do not accept) do not raise: the handler records
them and drops the file, so the view can show a kind message and keep everything else the survivor
typed. A disk that refuses a write (full: ENOSPC, or failing) does not raise either: the handler
removes what it had written and sets `storage_failed`, and the view says that nothing was saved.

Nothing is left behind by a request that is refused: the views remove every file of a request
whose account was not saved (`discard`, unless `keep` was called), and a periodic sweeper
(`remove_orphan_files`, run by intake.tasks.sweep_orphan_files) removes any encrypted file that no
Attachment row refers to once it is older than a grace period: files of a process that died, and
those kept when nobody could tell whether their account was saved. A file's times are set to the
hour when it is complete, so the file system does not keep the second a survivor sent it.
"""

import contextlib
import errno
import hashlib
import logging
import os
import struct
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest

from intake import crypto
from intake.models import Attachment

logger = logging.getLogger(__name__)

# What a file must start with to be accepted, by kind: images, PDF, audio and video. The type the
# browser claims is ignored; only the bytes count.
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),  # RIFF....WEBP
    (b"%PDF-", 0, "application/pdf"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
    (b"\xff\xf3", 0, "audio/mpeg"),
    (b"OggS", 0, "audio/ogg"),
    (b"WAVE", 8, "audio/wav"),  # RIFF....WAVE
    (b"#!AMR", 0, "audio/amr"),
    (b"\x1aE\xdf\xa3", 0, "video/webm"),  # Matroska / WebM
    (b"ftyp", 4, "video/mp4"),  # MP4, MOV, M4A, 3GP, HEIC: ISO base media
]
_SNIFF_BYTES = 16


def sniff_content_type(head: bytes) -> str | None:
    for signature, offset, content_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if content_type == "video/mp4":
                brand = head[8:12]
                if brand in (b"heic", b"heix", b"mif1", b"msf1"):
                    return "image/heic"
                if brand == b"M4A ":
                    return "audio/mp4"
            return content_type
    return None


class UploadProblem:
    TOO_MANY = "too_many"
    TOO_LARGE = "too_large"
    WRONG_TYPE = "wrong_type"


@dataclass
class EncryptedUpload:
    """One received file: where its ciphertext is, and the metadata to seal with the case key."""

    public_id: uuid.UUID
    path: Path
    name: str
    content_type: str
    size: int
    sha256: str
    chunk_count: int

    def metadata(self) -> dict[str, object]:
        return {
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


_SUFFIX = ".sealed"


def attachments_folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments"


def attachment_path(public_id: uuid.UUID) -> Path:
    return attachments_folder() / f"{public_id}{_SUFFIX}"


def _hour(stamp: float) -> int:
    return int(stamp) // 3600 * 3600


def set_time_to_the_hour(path: Path) -> None:
    """Set a file's (or folder's) access and modification times to the start of their hour.

    The inode's change time (ctime) cannot be set by a program: it keeps the second of this call
    (docs/security.md says so).
    """
    hour = _hour(path.stat().st_mtime)
    os.utime(path, (hour, hour))


def write_sealed_chunk(handle: Any, sealed: bytes) -> None:
    """Sealed chunks are stored one after another, each preceded by its length."""
    handle.write(struct.pack(">I", len(sealed)))
    handle.write(sealed)


def read_sealed_chunks(path: Path) -> Iterator[bytes]:
    """The sealed chunks of a file, one at a time."""
    with path.open("rb") as handle:
        while header := handle.read(4):
            (length,) = struct.unpack(">I", header)
            yield handle.read(length)


def errno_name(error: OSError) -> str:
    return errno.errorcode.get(error.errno or 0, "unknown error")


@dataclass
class _Incoming:
    public_id: uuid.UUID
    name: str
    path: Path
    handle: Any
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0
    content_type: str | None = None
    buffer: bytes = b""
    index: int = 0
    rejected: str | None = None


class EncryptingUploadHandler(FileUploadHandler):
    chunk_size = crypto.CHUNK_BYTES

    def __init__(self, request: HttpRequest, *, case_key: bytes, case_id: str) -> None:
        super().__init__(request)
        self.case_key = case_key
        self.case_id = case_id
        self.received: list[EncryptedUpload] = []
        self.problems: list[str] = []
        self.current: _Incoming | None = None
        self.file_count = 0
        # The disk refused a write: no file of this request is kept, and the view must not save
        # the account as if it had its files.
        self.storage_failed = False
        # Set by the view once the account is saved (or may be): until then the files are
        # removed when the request ends (intake/survivor/: submit and add_information).
        self.kept = False

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.current = None
        if not file_name:
            return
        self.file_count += 1
        if self.file_count > settings.INTAKE_MAX_FILES:
            self.problems.append(UploadProblem.TOO_MANY)
            return
        if self.storage_failed:
            return  # the rest of the request is read, but nothing more is written
        public_id = uuid.uuid4()
        path = attachment_path(public_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("wb")
        except OSError as error:
            self._storage_failed(None, error)
            return
        self.current = _Incoming(public_id, file_name, path, handle)

    def _seal_pending(self, incoming: _Incoming, *, last: bool) -> None:
        sealed = crypto.seal(
            self.case_key,
            case_id=self.case_id,
            item=crypto.chunk_item(f"attachment:{incoming.public_id}", incoming.index, last=last),
            plaintext=incoming.buffer,
        )
        write_sealed_chunk(incoming.handle, sealed)
        incoming.index += 1
        incoming.buffer = b""

    @staticmethod
    def _remove(incoming: _Incoming) -> None:
        # Closing flushes Python's buffer, which can fail on a full disk too; the file goes anyway.
        with contextlib.suppress(OSError):
            incoming.handle.close()
        incoming.path.unlink(missing_ok=True)

    def _reject(self, incoming: _Incoming, problem: str) -> None:
        incoming.rejected = problem
        self._remove(incoming)
        self.problems.append(problem)

    def _storage_failed(self, incoming: _Incoming | None, error: OSError) -> None:
        # The error's name only (ENOSPC, EIO...): its text can hold the file's path.
        logger.error("an attachment could not be written (%s)", errno_name(error))
        if incoming is not None:
            self._remove(incoming)
        self.current = None
        self.storage_failed = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        incoming = self.current
        if incoming is None or incoming.rejected:
            return None  # dropped: nothing is kept
        if incoming.content_type is None:
            incoming.content_type = sniff_content_type(raw_data[:_SNIFF_BYTES]) or ""
            if not incoming.content_type:
                self._reject(incoming, UploadProblem.WRONG_TYPE)
                return None
        incoming.size += len(raw_data)
        if incoming.size > settings.INTAKE_MAX_FILE_BYTES:
            self._reject(incoming, UploadProblem.TOO_LARGE)
            return None
        incoming.digest.update(raw_data)
        # Seal the previous chunk only now: the last one must be sealed as "last".
        if incoming.buffer:
            try:
                self._seal_pending(incoming, last=False)
            except OSError as error:
                self._storage_failed(incoming, error)
                return None
        incoming.buffer = raw_data
        return None

    def file_complete(self, file_size: int) -> None:
        incoming = self.current
        self.current = None
        if incoming is None or incoming.rejected:
            return None
        if incoming.content_type is None:
            # An empty file: nothing to keep.
            self._remove(incoming)
            return None
        try:
            self._seal_pending(incoming, last=True)
            incoming.handle.close()
            # Not the second it arrived: the hour (the folder's time changed too, when the file
            # was made; it may belong to someone else, so that one is best effort).
            set_time_to_the_hour(incoming.path)
            with contextlib.suppress(OSError):
                set_time_to_the_hour(incoming.path.parent)
        except OSError as error:
            self._storage_failed(incoming, error)
            return None
        self.received.append(
            EncryptedUpload(
                public_id=incoming.public_id,
                path=incoming.path,
                name=incoming.name,
                content_type=incoming.content_type,
                size=incoming.size,
                sha256=incoming.digest.hexdigest(),
                chunk_count=incoming.index,
            )
        )
        # Returning None keeps the file out of request.FILES: the view reads `received`.
        return None

    def upload_interrupted(self) -> None:
        self.discard()

    def keep(self) -> None:
        """The account (or addition) was saved, or may have been: its files stay."""
        self.kept = True

    def discard(self) -> None:
        """Remove every encrypted file this request wrote (the case was not saved)."""
        if self.current is not None and not self.current.handle.closed:
            self._remove(self.current)
        for upload in self.received:
            upload.path.unlink(missing_ok=True)
        self.received = []


def _public_id(path: Path) -> uuid.UUID | None:
    """The attachment id an encrypted file is named after, or None for any other file."""
    if path.suffix != _SUFFIX:
        return None
    try:
        return uuid.UUID(path.stem)
    except ValueError:
        return None


def remove_orphan_files(grace_seconds: int) -> int:
    """Remove the encrypted files that no Attachment row refers to and whose time (set to the
    hour) is more than `grace_seconds` ago; returns how many were removed.

    The grace period covers requests still streaming or saving: a file's row is written only once
    the whole request has arrived. Every file's time is also set to the hour, in case a write was
    cut short before file_complete could do it.
    """
    folder = attachments_folder()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - grace_seconds
    old: dict[uuid.UUID, Path] = {}
    for path in folder.iterdir():
        public_id = _public_id(path)
        if public_id is None or not path.is_file():
            continue
        try:
            set_time_to_the_hour(path)
            stamp = path.stat().st_mtime
        except FileNotFoundError:
            continue  # removed meanwhile (a withdrawal, a refused request)
        if stamp < cutoff:
            old[public_id] = path
    referred = set(
        Attachment.objects.filter(public_id__in=list(old)).values_list("public_id", flat=True)
    )
    removed = 0
    for public_id, path in old.items():
        if public_id not in referred:
            path.unlink(missing_ok=True)
            removed += 1
    with contextlib.suppress(OSError):
        set_time_to_the_hour(folder)
    return removed

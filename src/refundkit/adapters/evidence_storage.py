"""Evidence files on the local disk, outside any web root, under server-chosen random names.

An upload is written to a hidden temporary file in the store's root while its size and
SHA-256 are computed; only after every check has passed is it renamed into place under
``secrets.token_hex(16)``. A refused upload is discarded: nothing is left behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from refundkit.adapters.metadata_strip import PIECE, strip_stream
from refundkit.service.file_ports import StoredBlob, Uploads

DEFAULT_ROOT = Path("var/evidence")
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_NAME = re.compile(r"[0-9a-f]{32}")
_TEMP_PREFIX = ".upload-"


class LocalStagedBlob:
    def __init__(self, root: Path) -> None:
        self._root = root
        fd, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".part", dir=root)
        self._path: Path | None = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "w+b")
        self._hash = hashlib.sha256()
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    def _open_file(self) -> BinaryIO:
        if self._file is None:
            raise RuntimeError("this upload was already committed or discarded")
        return self._file

    def write(self, chunk: bytes) -> None:
        self._open_file().write(chunk)
        self._hash.update(chunk)
        self._size += len(chunk)

    def read(self) -> bytes:
        handle = self._open_file()
        handle.flush()
        handle.seek(0)
        data = handle.read()
        handle.seek(0, os.SEEK_END)
        return data

    def head(self, size: int) -> bytes:
        """The first ``size`` bytes (what the sniffer needs), not the whole file."""
        handle = self._open_file()
        handle.flush()
        handle.seek(0)
        data = handle.read(size)
        handle.seek(0, os.SEEK_END)
        return data

    def chunks(self) -> Iterator[bytes]:
        """The file from its start, a bounded piece at a time."""
        handle = self._open_file()
        handle.flush()
        handle.seek(0)
        try:
            while piece := handle.read(PIECE):
                yield piece
        finally:
            handle.seek(0, os.SEEK_END)

    def rewrite(self, transform: Callable[[BinaryIO, BinaryIO], bool]) -> bool:
        """``transform(source, sink)`` writes a new version of the file (streams, so memory
        stays flat); when it answers True the new version replaces the staged one (its size
        and SHA-256 computed again), else it is dropped. A failure drops it too."""
        handle = self._open_file()
        handle.flush()
        handle.seek(0)
        fd, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".part", dir=self._root)
        path = Path(name)
        sink = os.fdopen(fd, "w+b")
        try:
            replaced = transform(handle, sink)
        except BaseException:
            sink.close()
            path.unlink(missing_ok=True)
            handle.seek(0, os.SEEK_END)
            raise
        if not replaced:
            sink.close()
            path.unlink(missing_ok=True)
            handle.seek(0, os.SEEK_END)
            return False
        sink.flush()
        sink.seek(0)
        self._hash, self._size = hashlib.sha256(), 0
        while piece := sink.read(PIECE):
            self._hash.update(piece)
            self._size += len(piece)
        sink.seek(0, os.SEEK_END)
        handle.close()
        assert self._path is not None
        os.replace(path, self._path)
        self._file = sink
        return True

    def replace(self, data: bytes) -> None:
        handle = self._open_file()
        handle.seek(0)
        handle.truncate()
        self._hash = hashlib.sha256()
        self._size = 0
        self.write(data)

    def commit(self) -> StoredBlob:
        handle = self._open_file()
        assert self._path is not None
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        self._file = None
        while True:
            name = secrets.token_hex(16)
            try:
                # A hard link fails if the name exists, so no file is ever overwritten.
                os.link(self._path, self._root / name)
            except FileExistsError:  # pragma: no cover - 128 random bits
                continue
            break
        self._path.unlink()
        self._path = None
        return StoredBlob(name, self._hash.hexdigest(), self._size)

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None


class LocalBlobStore:
    """Files in ``root`` (created on first use, readable by this user only)."""

    def __init__(self, root: Path | str = DEFAULT_ROOT) -> None:
        self.root = Path(root)

    def _ready_root(self) -> Path:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.root

    def stage(self) -> LocalStagedBlob:
        return LocalStagedBlob(self._ready_root())

    def _path(self, storage_name: str) -> Path:
        if not _NAME.fullmatch(storage_name):
            raise ValueError("not a storage name this store made")
        return self.root / storage_name

    def open(self, storage_name: str) -> BinaryIO:
        return self._path(storage_name).open("rb")

    def delete(self, storage_name: str) -> None:
        self._path(storage_name).unlink(missing_ok=True)


def uploads_from_env(environ: dict[str, str] | None = None) -> Uploads:
    """``REFUNDKIT_EVIDENCE_DIR`` (default ``var/evidence``) and
    ``REFUNDKIT_MAX_UPLOAD_BYTES`` (default 10 MB)."""
    env = dict(os.environ) if environ is None else environ
    root = env.get("REFUNDKIT_EVIDENCE_DIR") or DEFAULT_ROOT
    raw_limit = env.get("REFUNDKIT_MAX_UPLOAD_BYTES")
    limit = DEFAULT_MAX_UPLOAD_BYTES if not raw_limit else int(raw_limit)
    if limit < 1:
        raise ValueError("REFUNDKIT_MAX_UPLOAD_BYTES must be a positive number of bytes")
    return Uploads(LocalBlobStore(root), strip_stream, limit)

"""The append log: how generate and eval store records as they arrive, and resume.

Why append-only: a teacher or an evaluation run can take days; its output file is the
progress record. Each batch of records is one `os.write` of complete lines to a descriptor
opened with O_APPEND, so a SIGKILL lands between lines, never inside one. If the machine
itself dies mid-write, the torn last line is cut off on the next start (found by reading
backwards from the end, not the whole file) (a last line that is
whole JSON and only lacks its newline gets the newline instead) and that record is made again.

Every record has an identity (`key`). A rerun skips every identity already present; records
whose request failed (`retry`) are removed first and made again, so no identity ever appears
twice. `finalize` rewrites the file atomically in work order (records from other runs first,
untouched), so an interrupted-and-resumed run ends byte-identical to an uninterrupted one.

Only identities are kept in memory (a 600K-record file is gigabytes of text); the records are
streamed from disk when the file is put in order.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from cautious.errors import UserError
from cautious.jsonl import dump_record, parse_record
from cautious.paths import naming, new_file_mode, not_utf8

R = TypeVar("R", bound=BaseModel)


def decode(path: Path, lineno: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise not_utf8(path, lineno) from None


def last_line_start(path: Path) -> int:
    """The offset just after the file's last newline (0 if it has none), found by reading
    backwards from the end in growing chunks: a multi-GB answers file is not read whole."""
    with path.open("rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        back = min(size, 1 << 16)
        while back:
            fh.seek(size - back)
            cut = fh.read(back).rfind(b"\n")
            if cut >= 0:
                return size - back + cut + 1
            if back == size:
                break
            back = min(size, back * 2)
    return 0


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
        return True
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False


def torn_tail(path: Path) -> tuple[int, int, bool]:
    """(file size, where an unterminated last line starts, whether that line is whole JSON).
    The start equals the size when the file ends with a newline (nothing torn)."""
    size = path.stat().st_size
    start = last_line_start(path)
    if start == size:
        return size, start, True
    with path.open("rb") as fh:
        fh.seek(start)
        tail = fh.read()
    return size, start, not tail.strip() or _is_json(tail)


def read_log(path: str | Path, model: type[R]) -> list[R]:
    """Every record of an append log without changing it: a torn last line (a writer that died,
    or one still writing) is left out; a bad line anywhere else stops with file:line:field."""
    path = Path(path)
    if not path.exists():
        return []
    size, start, whole = torn_tail(path)
    out: list[R] = []
    with path.open("rb") as fh:
        offset = 0
        for lineno, raw in enumerate(fh, start=1):
            torn = offset == start and not whole
            offset += len(raw)
            if raw.strip() and not torn:
                out.append(parse_record(path, lineno, decode(path, lineno, raw), model))
    return out


class AppendLog(Generic[R]):
    """One output JSONL of `model` records, opened for resume and append. Subclasses say what a
    record's identity is (`key`) and which records are made again on a rerun (`retry`)."""

    model: type[R]

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise UserError(f"{self.path}: is a folder, expected a JSONL output file")
        self.keys: set[Hashable] = set()
        self.dropped_retry = 0
        self._fd: int | None = None

    def key(self, record: Any) -> Hashable:
        raise NotImplementedError

    def retry(self, record: Any) -> bool:
        return False

    def light(self, obj: dict[str, Any]) -> Any:
        """A record this process already validated, read fast (attributes only, no validation)."""
        return SimpleNamespace(**obj)

    def _lines(self, validate: bool = True) -> Iterator[tuple[int, bytes, Any]]:
        """(offset, raw bytes, record) for every record line; `validate=False` is 5x faster."""
        with self.path.open("rb") as fh:
            offset = 0
            for lineno, raw in enumerate(fh, start=1):
                if raw.strip():
                    if validate:
                        yield offset, raw, parse_record(self.path, lineno, decode(self.path, lineno, raw), self.model)
                    else:
                        yield offset, raw, self.light(json.loads(raw))
                offset += len(raw)

    def load(self) -> None:
        """Read what a previous run wrote; repair a torn tail; drop records to retry."""
        if not self.path.exists():
            return
        size, start, whole = torn_tail(self.path)
        if start < size:  # the last line lacks its newline: the writer died mid-write, or just before it
            with naming(self.path), self.path.open("r+b") as fh:
                if whole:
                    fh.seek(0, os.SEEK_END)
                    fh.write(b"\n")
                else:
                    fh.truncate(start)
        keep: list[tuple[int, int]] = []
        total = 0
        for offset, raw, record in self._lines():
            total += 1
            key = self.key(record)
            if self.retry(record):
                self.dropped_retry += 1
            elif key not in self.keys:
                self.keys.add(key)
                keep.append((offset, len(raw)))
        if len(keep) != total:  # records to retry, or duplicates (older tools)
            self._rewrite(keep)

    def _rewrite(self, spans: list[tuple[int, int]]) -> None:
        """Atomically replace the file by the given (offset, length) line spans, in that order:
        a temp file beside it, fsynced, renamed over it — a crash leaves the old file whole."""
        mode = new_file_mode(self.path)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            os.fchmod(fd, mode)
            with naming(self.path), self.path.open("rb") as src, os.fdopen(fd, "wb") as dst:
                for offset, length in spans:
                    src.seek(offset)
                    dst.write(src.read(length))
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def __contains__(self, key: Hashable) -> bool:
        return key in self.keys

    def append(self, records: Iterable[R]) -> int:
        """New records as complete lines in one write call, visible to other processes at once;
        an identity already present is skipped. Returns how many were written."""
        lines = []
        for record in records:
            key = self.key(record)
            if key not in self.keys:
                self.keys.add(key)
                lines.append(dump_record(record) + "\n")
        if not lines:
            return 0
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with naming(self.path):
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)  # less the umask
        view = memoryview("".join(lines).encode("utf-8"))
        with naming(self.path):
            while view:
                view = view[os.write(self._fd, view):]
        return len(lines)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                with naming(self.path):
                    os.fsync(fd)
            finally:
                os.close(fd)

    def finalize(self, order: dict[Hashable, int], visit: Callable[[int, Any], None] | None = None) -> None:
        """Rewrite atomically: foreign records first (as found), then this run's in work order.
        `visit(position, record)` sees each of this run's records (read fast, not validated)."""
        self.close()
        if not self.path.exists():
            return
        foreign: list[tuple[int, int]] = []
        ours: list[tuple[int, int, int]] = []
        for offset, raw, record in self._lines(validate=False):
            pos = order.get(self.key(record))
            if pos is None:
                foreign.append((offset, len(raw)))
                continue
            ours.append((pos, offset, len(raw)))
            if visit:
                visit(pos, record)
        ours.sort()
        spans = foreign + [(o, n) for _, o, n in ours]
        if [o for o, _ in spans] != sorted(o for o, _ in spans):
            self._rewrite(spans)

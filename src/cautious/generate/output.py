"""The answers file: appended as answers arrive, read back on resume, put in order at the end.

Why append-only: a teacher run can take days; the answers file is the progress record. Each
answer is one `os.write` of one complete line to a descriptor opened with O_APPEND, so a
SIGKILL lands between lines, never inside one (the write either happened or it did not). If
the machine itself dies mid-write, the torn last line is cut off on the next start and that
answer is rebuilt from the request cache, so nothing is paid twice.

A record's identity is `(example_id, request_hash)` — the request hash covers model,
messages (every call of a multi-call strategy), sampling settings and sample index, and the
example id keeps two examples with the same text apart. A rerun skips every identity
already present; answers whose request failed (`status: request_failed`) are
removed first and tried again, so no identity ever appears twice in the file.

When a run ends cleanly the file is rewritten atomically in work order (records from other
runs first, untouched), so an interrupted-and-resumed run ends byte-identical to an
uninterrupted one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from pydantic import ValidationError

from cautious.errors import UserError
from cautious.generate.verify import TaskSummary
from cautious.jsonl import atomic_writer, describe_validation_error, dump_record, parse_object
from cautious.paths import naming, new_file_mode, not_utf8
from cautious.records import ANSWER_SCHEMA_VERSION, TeacherAnswer, upgrade_answer

Key = tuple[str, str]


def record_key(ans) -> Key:
    return (ans.example_id, ans.request_hash)


def decode(path: Path, lineno: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise not_utf8(path, lineno) from None


def parse_answer(path: Path, lineno: int, line: str) -> TeacherAnswer:
    obj = parse_object(path, lineno, line)
    if obj.get("schema_version", ANSWER_SCHEMA_VERSION) not in TeacherAnswer.READS:
        raise UserError(
            f"{path}:{lineno}:schema_version: written with schema {obj.get('schema_version')}, "
            f"this cautious reads {' or '.join(map(str, TeacherAnswer.READS))}"
        )
    try:
        return TeacherAnswer.model_validate(obj)
    except ValidationError as exc:
        raise UserError(f"{path}:{lineno}:{describe_validation_error(exc)}") from None


class AnswerLog:
    """The output JSONL of one generate run, opened for resume and append.

    Only identities are kept in memory (a 600K-answer file is gigabytes of text); the records
    themselves are streamed from disk when the file is put in order."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise UserError(f"{self.path}: is a folder, expected a JSONL output file")
        self.keys: set[Key] = set()
        self.dropped_failed = 0
        self._fd: int | None = None

    def _lines(self, validate: bool = True):
        """(offset, raw bytes, answer) for every record line. `validate=False` (lines this
        process already validated or wrote) parses JSON only: 5x faster on big files."""
        with self.path.open("rb") as fh:
            offset = 0
            for lineno, raw in enumerate(fh, start=1):
                if raw.strip():
                    ans = parse_answer(self.path, lineno, decode(self.path, lineno, raw)) if validate else SimpleNamespace(**upgrade_answer(json.loads(raw)))
                    yield offset, raw, ans
                offset += len(raw)

    def load(self) -> None:
        """Read what a previous run wrote; cut a torn last line; drop failed requests for retry."""
        if not self.path.exists():
            return
        with self.path.open("r+b") as fh:  # a line without its newline: the writer died mid-write
            size = fh.seek(0, os.SEEK_END)
            if size:
                back = min(size, 1 << 20)
                while True:
                    fh.seek(size - back)
                    tail = fh.read(back)
                    cut = tail.rfind(b"\n")
                    if cut >= 0 or back == size:
                        break
                    back = min(size, back * 2)
                end = size - back + cut + 1
                if end < size:
                    fh.truncate(end)
        keep: list[tuple[int, int]] = []
        total = 0
        for offset, raw, ans in self._lines():
            total += 1
            key = record_key(ans)
            if ans.status == "request_failed":
                self.dropped_failed += 1
            elif key not in self.keys:
                self.keys.add(key)
                keep.append((offset, len(raw)))
        if len(keep) != total:  # failed (to retry) or duplicated (older tools) records
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

    def __contains__(self, key: Key) -> bool:
        return key in self.keys

    def append(self, ans: TeacherAnswer) -> None:
        """One complete line, one write call, visible to other processes at once."""
        key = record_key(ans)
        if key in self.keys:
            return
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)  # less the umask
        view = memoryview((dump_record(ans) + "\n").encode("utf-8"))
        with naming(self.path):
            while view:
                view = view[os.write(self._fd, view):]
        self.keys.add(key)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                with naming(self.path):
                    os.fsync(fd)
            finally:
                os.close(fd)

    def finalize(self, order: dict[Key, int]):
        """Rewrite atomically: foreign records first (as found), then this run's in work order.
        Returns per-(task, strategy) statistics over this run's records, in that order."""
        self.close()
        if not self.path.exists():
            return []
        foreign: list[tuple[int, int]] = []
        ours: list[tuple[int, int, int]] = []
        summaries: dict[tuple[str, str], tuple[int, TaskSummary]] = {}
        for offset, raw, ans in self._lines(validate=False):
            pos = order.get(record_key(ans))
            if pos is None:
                foreign.append((offset, len(raw)))
                continue
            ours.append((pos, offset, len(raw)))
            first, summary = summaries.setdefault((ans.task, ans.strategy), (pos, TaskSummary(ans.task, ans.strategy)))
            summaries[(ans.task, ans.strategy)] = (min(first, pos), summary)
            summary.add(ans)
        ours.sort()
        spans = foreign + [(o, n) for _, o, n in ours]
        if [o for o, _ in spans] != sorted(o for o, _ in spans):
            self._rewrite(spans)
        return [s for _, s in sorted(summaries.values(), key=lambda v: v[0])]


def write_answers(path: Path, answers: Iterable[TeacherAnswer]) -> None:
    """Atomically write answers as JSONL."""
    with atomic_writer(path) as fh:
        for a in answers:
            fh.write(dump_record(a) + "\n")


@dataclass
class MergeStats:
    read: int = 0
    written: int = 0
    duplicates: int = 0
    conflicts: int = 0
    failed_replaced: int = 0


def merge_files(paths: list[Path], out: Path) -> MergeStats:
    """Join shard outputs by identity (example id + request hash), into one ordered file.

    Shards split by request hash, so they should not overlap; if they do (a shard rerun with
    `--shard` forgotten, two machines given the same shard) the first successful record wins,
    a failed one is replaced by a successful one, and records that disagree are counted as
    conflicts. Output order is (task, strategy, example id, sample index), the same whatever
    the shard count.
    """
    stats = MergeStats()
    merged: dict[Key, TeacherAnswer] = {}
    for path in paths:
        if not path.exists():
            raise UserError(f"{path}: file not found")
        if path.is_dir():
            raise UserError(f"{path}: is a folder, expected a JSONL file")
        with path.open("rb") as fh:
            for lineno, raw_bytes in enumerate(fh, start=1):
                raw = decode(path, lineno, raw_bytes)
                if not raw.strip():
                    continue
                if not raw.endswith("\n"):
                    raise UserError(f"{path}:{lineno}: torn last line (a generate run was killed?); resume that shard first")
                ans = parse_answer(path, lineno, raw)
                stats.read += 1
                key = record_key(ans)
                old = merged.get(key)
                if old is None:
                    merged[key] = ans
                    continue
                stats.duplicates += 1
                if old.status == "request_failed" and ans.status != "request_failed":
                    merged[key] = ans
                    stats.failed_replaced += 1
                elif old.response != ans.response and ans.status != "request_failed":
                    stats.conflicts += 1
    ordered = sorted(merged.values(), key=lambda a: (a.task, a.strategy, a.example_id, a.sample_index, a.request_hash))
    write_answers(out, ordered)
    stats.written = len(ordered)
    return stats

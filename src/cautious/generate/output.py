"""The answers file of `generate`: an append log (`cautious.append_log`) whose identity is
`(example_id, request_hash)` — the request hash covers model, messages (every call of a
multi-call strategy), sampling settings and sample index, and the example id keeps two
examples with the same text apart — and `cautious merge`, which joins shard files.
A torn last answer is rebuilt from the request cache on resume, so nothing is paid twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from cautious.append_log import AppendLog, decode
from cautious.errors import UserError
from cautious.generate.verify import TaskSummary
from cautious.jsonl import atomic_writer, dump_record, parse_record
from cautious.records import TeacherAnswer, upgrade_answer

Key = tuple[str, str]


def record_key(ans) -> Key:
    return (ans.example_id, ans.request_hash)


def parse_answer(path: Path, lineno: int, line: str) -> TeacherAnswer:
    return parse_record(path, lineno, line, TeacherAnswer)


class AnswerLog(AppendLog[TeacherAnswer]):
    """The output JSONL of one generate run. Identity: `(example_id, request_hash)`; an answer
    whose request failed (`status: request_failed`) is removed on resume and asked again."""

    model = TeacherAnswer

    def key(self, record) -> Key:
        return record_key(record)

    def retry(self, record) -> bool:
        return record.status == "request_failed"

    def light(self, obj: dict) -> SimpleNamespace:
        return SimpleNamespace(**upgrade_answer(obj))

    @property
    def dropped_failed(self) -> int:
        return self.dropped_retry

    def summaries(self, order: dict[Key, int]) -> list[TaskSummary]:
        """Put the file in work order (`finalize`); per-(task, strategy) statistics over this
        run's records, in the order their first record was asked."""
        found: dict[tuple[str, str], tuple[int, TaskSummary]] = {}

        def visit(pos: int, ans) -> None:
            first, summary = found.setdefault((ans.task, ans.strategy), (pos, TaskSummary(ans.task, ans.strategy)))
            found[(ans.task, ans.strategy)] = (min(first, pos), summary)
            summary.add(ans)

        self.finalize(order, visit)  # type: ignore[arg-type]
        return [s for _, s in sorted(found.values(), key=lambda v: v[0])]


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

"""What every `tests/test_bad_input_*.py` case checks, and the small workspace they run in.

A bad input or an OS fault must end in exactly this: the documented exit code, one line on
stderr naming the culprit, no traceback, and every file that was there before byte-identical
afterwards (nothing overwritten, nothing half-written left behind).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cautious.erase import erase
from cautious.generate import answer_examples
from cautious.jsonl import write_records
from cautious.lab import families
from cautious.models.base import SamplingParams, load_model
from cautious.strategies import get_strategy, load_catalog

NOT_UTF8 = b"input: \xff\xfe caf\xe9\n"


def workspace(root: Path) -> Path:
    """Tiny inputs for every command: teacher answers, training chats, a task file, a
    strategies file, a strategy map, a system message, a plain file and an empty folder."""
    catalog = load_catalog()
    examples = families()["arithmetic"].examples("train", 3, seed=0)
    answers = answer_examples(load_model("lab", strategies=catalog), get_strategy("direct-answer"), examples, SamplingParams())
    write_records(root / "answers.jsonl", answers)
    write_records(root / "train.jsonl", erase(answers)[0])
    rows = [{"input": f"What is {i} + 1?", "target": str(i + 1), "split": s} for i, s in enumerate(["train", "dev", "test"] * 3)]
    (root / "task.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (root / "strategies.yaml").write_text(
        "- name: tabulate\n  description: A table, then the answer.\n  sections: [steps, answer]\n"
        "  teacher_instruction: Put the facts in a table. End with one line: Final answer: <answer>\n",
        encoding="utf-8",
    )
    (root / "map.yaml").write_text("arithmetic: direct-answer\n", encoding="utf-8")
    (root / "system.txt").write_text("Answer with care.\n", encoding="utf-8")
    (root / "afile").write_text("not a folder\n", encoding="utf-8")
    (root / "folder").mkdir()
    (root / "binary.yaml").write_bytes(NOT_UTF8)
    (root / "binary.jsonl").write_bytes(NOT_UTF8)
    (root / "binary.txt").write_bytes(NOT_UTF8)
    return root


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under `root`: file bytes, link targets, and folders."""
    out: dict[str, bytes | str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                out[rel] = "folder"
            else:
                out[rel] = path.read_bytes()
    return out


def expand(args, root: Path) -> list[str]:
    return [str(a).replace("{d}", str(root)) for a in args]


def assert_one_line(result, code: int, *needles: str) -> str:
    """Exit `code`, no traceback, and one stderr line holding every needle; returns the line."""
    exit_code, stdout, stderr = result
    assert exit_code == code, (exit_code, stdout, stderr)
    assert "Traceback" not in stderr + stdout
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def refused(cli, root: Path, args, *needles: str, code: int = 2) -> str:
    """Run `cautious ARGS` in `root`'s workspace: one line, exit 2, nothing there changed."""
    before = snapshot(root)
    line = assert_one_line(cli(*expand(args, root)), code, *[n.replace("{d}", str(root)) for n in needles])
    assert snapshot(root) == before, "a refused command changed, added or removed files"
    return line

"""BIG-Bench Hard (Suzgun et al., 2022): 27 hard BIG-bench subtasks, zero-shot.

Source: `lukaemon/bbh`, one config per subtask, split `test`; columns `input`, `target`.
Offline: the BBH repository's files (github.com/suzgunmirac/BIG-Bench-Hard, bbh/<subtask>.json,
`{"examples": [{"input", "target"}]}`), or the Hub layout <subtask>/test-*.parquet. Offline,
the subtasks present in the folder are used (meta["subset"] names each one).

The prompt is the example's `input` as BBH wrote it (it already lists options as "(A) ...").
Answer types follow the subtask: multiple choice when the targets are option letters (the
options are parsed from the input, so a letter or the option text both count), yes/no for
Yes/No and True/False, number for counting and arithmetic, free text otherwise
(dyck_languages, word_sorting, formal_fallacies' valid/invalid).
"""

from __future__ import annotations

import re

from cautious.records import Example
from cautious.tasks.benchmarks.source import BenchmarkTask, Row

SUBTASKS = (
    "boolean_expressions",
    "causal_judgement",
    "date_understanding",
    "disambiguation_qa",
    "dyck_languages",
    "formal_fallacies",
    "geometric_shapes",
    "hyperbaton",
    "logical_deduction_five_objects",
    "logical_deduction_seven_objects",
    "logical_deduction_three_objects",
    "movie_recommendation",
    "multistep_arithmetic_two",
    "navigate",
    "object_counting",
    "penguins_in_a_table",
    "reasoning_about_colored_objects",
    "ruin_names",
    "salient_translation_error_detection",
    "snarks",
    "sports_understanding",
    "temporal_sequences",
    "tracking_shuffled_objects_five_objects",
    "tracking_shuffled_objects_seven_objects",
    "tracking_shuffled_objects_three_objects",
    "web_of_lies",
    "word_sorting",
)
_LETTER_TARGET = re.compile(r"^\(([A-R])\)$")
_OPTION_LINE = re.compile(r"^\(([A-R])\)\s*(.*)$")
_NUMBER = re.compile(r"^-?\d+$")


def parse_options(text: str) -> list[str] | None:
    """The "(A) ..." lines of a BBH input, in order; None when they do not run A, B, C, ..."""
    found = [m.groups() for m in map(_OPTION_LINE.match, (line.strip() for line in text.splitlines())) if m]
    if not found or [letter for letter, _ in found] != [chr(ord("A") + i) for i in range(len(found))]:
        return None
    return [option.strip() for _, option in found]


class BBH(BenchmarkTask):
    name = "bbh"
    description = "BIG-Bench Hard: 27 hard BIG-bench subtasks, zero-shot"
    answer_type = "text"  # varies by subtask; each example carries its own
    needs = ("download",)
    hf_id = "lukaemon/bbh"
    configs = SUBTASKS
    split_map = {"test": ("test",)}
    local_format = (
        'the BBH repo\'s bbh/<subtask>.json ({"examples": [{"input", "target"}]}) or <subtask>/test-*.parquet'
    )

    def _build(self, split: str) -> list[Example]:
        examples = super()._build(split)
        # One answer type per subtask, decided from all its targets at once.
        by_subtask: dict[str, list[Example]] = {}
        for ex in examples:
            by_subtask.setdefault(ex.meta.get("subset", ""), []).append(ex)
        for group in by_subtask.values():
            kind = subtask_answer_type([ex.target or "" for ex in group], [ex.input for ex in group])
            for ex in group:
                ex.answer_type = kind
                if kind == "choice":
                    options = parse_options(ex.input)
                    assert options is not None
                    ex.choices = options
                    ex.label = ord(_LETTER_TARGET.match(ex.target or "").group(1)) - ord("A")
                    ex.meta["target_letter"] = ex.target
                    ex.target = None
        return examples

    def to_example(self, row: Row, split: str) -> Example:
        return self.make(
            row,
            split,
            f"{row['_subset'] or row['_split']}/{row['_index']}",
            input=row["input"].strip(),
            target=str(row["target"]).strip(),
        )


def subtask_answer_type(targets: list[str], inputs: list[str]) -> str:
    if all(_LETTER_TARGET.match(t) for t in targets):
        options = [parse_options(i) for i in inputs]
        if all(o is not None and ord(t[1]) - ord("A") < len(o) for o, t in zip(options, targets)):
            return "choice"
    lowered = {t.lower() for t in targets}
    if lowered <= {"yes", "no"} or lowered <= {"true", "false"}:
        return "yes_no"
    if all(_NUMBER.match(t) for t in targets):
        return "number"
    return "text"

"""BIG-Bench Hard (Suzgun et al., 2022): 27 hard BIG-bench subtasks, zero-shot.

Source: `lukaemon/bbh`, one config per subtask, split `test`; columns `input`, `target`.
Offline: the BBH repository's files (github.com/suzgunmirac/BIG-Bench-Hard, bbh/<subtask>.json,
`{"examples": [{"input", "target"}]}`), or the Hub layout <subtask>/test-*.parquet. Offline,
the subtasks present in the folder are used (meta["subset"] names each one).

The prompt is the example's `input` as BBH wrote it (it already lists options as "(A) ...").
Answer types are decided per row: multiple choice when the target is an option letter and the
input lists that option (the options are parsed from the input, so a letter or the option
text both count), yes/no for Yes/No and True/False, number for integers, free text otherwise
(dyck_languages, word_sorting, formal_fallacies' valid/invalid). A subtask's rows share the
kind most of them have; a row that does not fit it is *irregular* and scored as free text
against its target, as BBH (and lm-evaluation-harness's exact match) scores it, with the
reason in meta["irregular"]. In the release, three rows are: ruin_names 99 and 144 and
movie_recommendation 163 list options split at the commas of the real ones, and their
targets are the option texts ("dearth, wind, & fire"), not letters. Before, such rows turned
their whole subtask into free text with golds like "(A)", which SQuAD normalisation makes ""
— so "Final answer: The" scored correct.
"""

from __future__ import annotations

import re
from collections import Counter

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
    answer_type = "text"  # varies by row; each example carries its own
    needs = ("download",)
    hf_id = "lukaemon/bbh"
    configs = SUBTASKS
    split_map = {"test": ("test",)}
    local_format = (
        'the BBH repo\'s bbh/<subtask>.json ({"examples": [{"input", "target"}]}) or <subtask>/test-*.parquet'
    )

    def _build(self, split: str) -> list[Example]:
        examples = super()._build(split)
        by_subtask: dict[str, list[Example]] = {}
        for ex in examples:
            by_subtask.setdefault(ex.meta.get("subset", ""), []).append(ex)
        for group in by_subtask.values():
            kinds = [row_answer_type(ex.target or "", ex.input) for ex in group]
            usual = Counter(kinds).most_common(1)[0][0]
            for ex, kind in zip(group, kinds):
                if kind != usual:
                    ex.meta["irregular"] = (
                        f"the target {ex.target!r} reads as {kind}, the subtask's rows as {usual}: scored as free text"
                    )
                    kind = "text"
                ex.answer_type = kind  # type: ignore[assignment]
                if kind == "choice":
                    ex.choices = parse_options(ex.input)
                    ex.label = ord(_LETTER_TARGET.match(ex.target or "").group(1)) - ord("A")  # type: ignore[union-attr]
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


def row_answer_type(target: str, input: str) -> str:
    """One row's answer type, from its target (and, for a letter, the options its input lists)."""
    m = _LETTER_TARGET.match(target)
    if m:
        options = parse_options(input)
        return "choice" if options is not None and ord(m.group(1)) - ord("A") < len(options) else "text"
    if target.lower() in ("yes", "no", "true", "false"):
        return "yes_no"
    if _NUMBER.match(target):
        return "number"
    return "text"

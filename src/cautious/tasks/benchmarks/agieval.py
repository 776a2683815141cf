"""AGIEval (Zhong et al., 2023): the English multiple-choice exams Orca 2 reports.

Subsets: aqua-rat, logiqa-en, lsat-ar, lsat-lr, lsat-rc, sat-math, sat-en,
sat-en-without-passage (meta["subset"]). Two source formats, both read:

- The Hub: `hails/agieval-<subset>` (one dataset per subset, split `test`), columns `query`
  (passage, question and "Answer Choices: (A)..." already joined, ending in
  "A: Among A through E, the answer is"), `choices` (["(A)...", ...]) and `gold` ([index]).
- The original release (github.com/ruixiangcui/AGIEval, data/v1/<subset>.jsonl): `passage`,
  `question`, `options` (["(A)...", ...]), `label` ("B").

Prompt: passage (if any), question, lettered options; the option letters of the source are
stripped from the option text so the answer can be given as a letter or as the text.
"""

from __future__ import annotations

import re

from cautious.records import Example
from cautious.tasks.benchmarks.prompts import mc_prompt
from cautious.tasks.benchmarks.source import BenchmarkTask, Row

SUBSETS = ("aqua-rat", "logiqa-en", "lsat-ar", "lsat-lr", "lsat-rc", "sat-math", "sat-en", "sat-en-without-passage")
_OPTION_LETTER = re.compile(r"^\s*\(?[A-J]\s*[).:]\s*")
_HAILS_TAIL = re.compile(r"\s*A:\s*Among A through [A-J], the answer is\s*$")


def strip_letter(option: str) -> str:
    return _OPTION_LETTER.sub("", option, count=1).strip()


def from_hails(query: str) -> str:
    """The passage and question of a `hails/agieval-*` query, without options and answer cue."""
    text = _HAILS_TAIL.sub("", query)
    text = text.split("Answer Choices:", 1)[0].strip()
    if text.startswith("Q:"):
        text = text[2:].strip()
    return text.replace("Q: ", "\n\n", 1) if "Q: " in text else text


class AGIEval(BenchmarkTask):
    name = "agieval"
    description = "AGIEval English multiple-choice exams (LSAT, SAT, LogiQA, AQuA-RAT)"
    answer_type = "choice"
    needs = ("download",)
    hf_id = "hails/agieval-<subset>"
    configs = SUBSETS
    split_map = {"test": ("test",)}
    local_format = (
        "AGIEval's release files <subset>.jsonl (passage, question, options, label), "
        "or the Hub layout agieval-<subset>/test-*.parquet (query, choices, gold)"
    )

    def subset_dirs(self, subset: str) -> list[str]:
        return [subset, f"agieval-{subset}"]

    def hub_sources(self) -> list[tuple[str, str | None, str | None]]:
        return [(f"hails/agieval-{subset}", None, subset) for subset in self.subsets]  # one dataset per subset

    def to_example(self, row: Row, split: str) -> Example:
        if "query" in row:  # the Hub's hails/agieval-* layout
            question = from_hails(row["query"])
            options = [strip_letter(o) for o in row["choices"]]
            label = int(row["gold"][0] if isinstance(row["gold"], list) else row["gold"])
        else:  # the original release
            passage = (row.get("passage") or "").strip()
            question = f"{passage}\n\n{row['question'].strip()}" if passage else row["question"].strip()
            options = [strip_letter(o) for o in row["options"]]
            label = "ABCDEFGHIJ".index(str(row["label"]).strip().strip("()")[0])
        if not 0 <= label < len(options):
            raise ValueError(f"gold option {label} is not among {len(options)} options")
        return self.make(
            row,
            split,
            f"{row['_subset'] or row['_split']}/{row['_index']}",
            input=mc_prompt(question, options),
            choices=options,
            label=label,
            answer_type="choice",
        )

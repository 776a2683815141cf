"""MMLU (Hendrycks et al., 2021): 57 subjects of four-option exam questions.

Source: `cais/mmlu`, config `all`, split `test` (14,042 questions); columns `question`,
`subject`, `choices` (4 strings), `answer` (0-3). Offline, either the Hub layout
(all/test-*.parquet, or per-subject <subject>/test-*.parquet) or the original release
(people.eecs.berkeley.edu/~hendrycks/data.tar: data/test/<subject>_test.csv, no header,
columns question, A, B, C, D, answer letter). meta["subject"] names the subject.
"""

from __future__ import annotations

import csv
from pathlib import Path

from cautious.errors import UserError
from cautious.records import Example
from cautious.tasks.benchmarks.prompts import mc_prompt
from cautious.tasks.benchmarks.source import BenchmarkTask, Row, find_split_files


class MMLU(BenchmarkTask):
    name = "mmlu"
    description = "MMLU: four-option exam questions over 57 subjects"
    answer_type = "choice"
    needs = ("download",)
    hf_id = "cais/mmlu"
    configs = ("all",)
    split_map = {"test": ("test",), "dev": ("validation", "val")}
    local_format = (
        "cais/mmlu rows (question, subject, choices, answer) as all/test-*.parquet or .jsonl, "
        "or the original data/test/<subject>_test.csv files (no header: question, A, B, C, D, answer)"
    )

    def local_files(self, root: Path, subset: str | None, names: tuple[str, ...]) -> list[Path]:
        # The Hub snapshot has both all/ and one folder per subject: read all/ only, never both.
        if root.is_dir() and (root / "all").is_dir():
            return find_split_files(root / "all", names, recursive=True)
        return super().local_files(root, subset, names)

    def read_file(self, path: Path) -> list[Row]:
        if path.suffix.lower() != ".csv":
            return super().read_file(path)
        subject = path.stem.rsplit("_", 1)[0]  # abstract_algebra_test.csv
        rows = []
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for lineno, record in enumerate(csv.reader(fh), start=1):
                if len(record) != 6:
                    raise UserError(self.format_error(f"{path}:{lineno}", f"expected 6 columns, got {len(record)}"))
                rows.append({"question": record[0], "subject": subject, "choices": record[1:5], "answer": record[5]})
        return rows

    def to_example(self, row: Row, split: str) -> Example:
        options = list(row["choices"])
        answer = row["answer"]
        label = "ABCD".index(answer.strip()) if isinstance(answer, str) else int(answer)
        subject = str(row.get("subject") or "").strip()
        preamble = (
            f"The following is a multiple choice question about {subject.replace('_', ' ')}." if subject else None
        )
        return self.make(
            row,
            split,
            f"{subject or 'q'}/{row['_split']}/{row['_index']}",
            input=mc_prompt(row["question"], options, preamble=preamble),
            choices=options,
            label=label,
            answer_type="choice",
            meta={"subject": subject},
        )

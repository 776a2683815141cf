"""DROP (Dua et al., 2019): discrete reasoning over paragraphs; scored by token F1.

Source: `ucinlp/drop`, split `validation` (9,535 questions; DROP's test answers are hidden);
columns `section_id`, `query_id`, `passage`, `question`, `answers_spans` (`spans`, `types`).
Offline: the same columns (validation-*.parquet / .jsonl), or the original release
`drop_dataset_dev.json` (allenai.org/data/drop): `{passage_id: {"passage", "qa_pairs": [{
"question", "query_id", "answer": {"number", "date": {"day","month","year"}, "spans"},
"validated_answers": [...]}]}}`; its validated answers become extra golds.

Gold: the answer's spans joined by ", " (`target`), the spans themselves in
`meta["answer_spans"]` (DROP's F1 aligns multi-span answers span by span), and every
acceptable answer in `meta["targets"]` / `meta["answers_spans_all"]`. Metric "f1".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cautious.records import Example
from cautious.tasks.benchmarks.source import BenchmarkTask, Row

PROMPT = "Read the passage and answer the question. The answer is a number, a date, or a short span of the passage.\n\nPassage: {passage}\n\nQuestion: {question}"


def answer_spans(answer: dict[str, Any]) -> list[str]:
    """The spans of one answer in DROP's release format (number, date, or spans)."""
    if str(answer.get("number") or "").strip():
        return [str(answer["number"]).strip()]
    if answer.get("spans"):
        return [s.strip() for s in answer["spans"]]
    date = answer.get("date") or {}
    text = " ".join(str(date.get(k) or "").strip() for k in ("day", "month", "year")).split()
    return [" ".join(text)] if text else []


class DROP(BenchmarkTask):
    name = "drop"
    description = "DROP: discrete reasoning over paragraphs, answers scored by token F1"
    answer_type = "text"
    needs = ("download",)
    metric = "f1"
    hf_id = "ucinlp/drop"
    split_map = {"test": ("validation", "dev"), "train": ("train",)}
    local_format = (
        "ucinlp/drop rows (passage, question, query_id, answers_spans) as validation-*.parquet/.jsonl, "
        "or DROP's release file drop_dataset_dev.json"
    )

    def rows_from_json(self, data: Any, path: Path) -> list[Row]:
        if isinstance(data, dict) and data and all(isinstance(v, dict) and "qa_pairs" in v for v in data.values()):
            rows = []
            for section_id, section in data.items():
                for qa in section["qa_pairs"]:
                    golds = [answer_spans(qa["answer"])] + [answer_spans(a) for a in qa.get("validated_answers", [])]
                    rows.append(
                        {
                            "section_id": section_id,
                            "query_id": qa["query_id"],
                            "passage": section["passage"],
                            "question": qa["question"],
                            "all_spans": [g for g in golds if g],
                        }
                    )
            return rows
        return super().rows_from_json(data, path)

    def to_example(self, row: Row, split: str) -> Example:
        if "all_spans" in row:  # the release format, with validated answers
            all_spans = row["all_spans"]
        else:
            all_spans = [[s.strip() for s in row["answers_spans"]["spans"]]]
        if not all_spans or not all_spans[0]:
            raise ValueError("the question has no gold answer")
        unique: list[list[str]] = []
        for spans in all_spans:
            if spans not in unique:
                unique.append(spans)
        targets = [", ".join(spans) for spans in unique]
        return self.make(
            row,
            split,
            str(row["query_id"]),
            input=PROMPT.format(passage=row["passage"].strip(), question=row["question"].strip()),
            target=targets[0],
            answer_type="text",
            meta={
                "answer_spans": unique[0],
                "answers_spans_all": unique,
                "targets": targets,
                "section_id": row.get("section_id"),
            },
        )

"""Grounded summarisation: ACI-BENCH, QMSum and MS MARCO, scored by hallucination rate.

Each Example asks for a summary (or answer) of a source text; meta["source_text"] is that
text, which the hallucination judge (`cautious.judge.HallucinationJudge`) checks the output
against. The metric is "judge" (meta["judge"] = "hallucination"); `target` is the human
reference, kept for reference-based metrics. Prompts are versioned in meta["prompt_version"].

- ACI-BENCH (Yim et al., 2023): doctor-patient conversations -> clinical notes. Hub:
  `mkieffer/ACI-Bench` (parquet of the release; configs aci, virtassist, virtscribe; splits
  train, valid, test1-3; columns `encounter_id`, `dialogue`, `note`); our `test` is test1
  (the MEDIQA-CHAT Task B test set). Offline: github.com/wyim/aci-bench's
  challenge_data_json/clinicalnlp_taskB_test1.json (`{"data": [{"src", "tgt", "file"}]}`) or
  challenge_data/*.csv (`dataset`, `encounter_id`, `dialogue`, `note`), or the Hub layout.
- QMSum (Zhong et al., 2021): query-based meeting summarisation. Offline: the release
  (github.com/Yale-LILY/QMSum, data/ALL/jsonl/test.jsonl: one meeting per line with
  `meeting_transcripts`, `general_query_list`, `specific_query_list`), one Example per query,
  meta["row"] its meeting's row in the file; the whole data/ folder may be copied (ALL/ is
  read, not the per-domain copies of the same meetings). Hub: `pszemraj/qmsum-cleaned`
  (SCROLLS layout: `id`, `input` = query + blank line + transcript, `output`).
- MS MARCO (Nguyen et al., 2016): answer a web query from retrieved passages. Hub:
  `microsoft/ms_marco`, config `v2.1`, split `validation`; columns `query`, `query_id`,
  `query_type`, `passages` (`passage_text`, `is_selected`, `url`), `answers`,
  `wellFormedAnswers`. Queries without an answer ("No Answer Present.") are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cautious.records import Example
from cautious.tasks.benchmarks.source import BenchmarkTask, Row, find_split_files

PROMPT_VERSION = "grounding-v1"
ACI_INSTRUCTION = (
    "Summarize the conversation to generate a clinical note with four sections: HISTORY OF PRESENT ILLNESS, "
    "PHYSICAL EXAM, RESULTS, ASSESSMENT AND PLAN."
)
ACI_PROMPT = ACI_INSTRUCTION + "\n\nThe conversation is:\n{dialogue}"
QMSUM_INSTRUCTION = (
    "The following is a meeting transcript. Answer the query about it with a summary based only on the transcript."
)
QMSUM_PROMPT = QMSUM_INSTRUCTION + "\n\nQuery: {query}\n\nTranscript:\n{transcript}"
MSMARCO_INSTRUCTION = (
    "Answer the question using only the information in the passages below. If they do not contain the answer, say so."
)
MSMARCO_PROMPT = MSMARCO_INSTRUCTION + "\n\n{passages}\n\nQuestion: {query}"


class Grounded(BenchmarkTask):
    answer_type = "text"
    needs = ("judge", "download")
    metric = "judge"

    def metric_info(self) -> dict[str, Any]:
        """How `cautious eval` and reports read the judge's numbers for this task."""
        return {"label": "hallucination rate", "percent": True, "higher_is_better": False}

    def grounded(
        self,
        row: Row,
        split: str,
        key: str,
        prompt: str,
        source_text: str,
        reference: str,
        instruction: str,
        **meta: Any,
    ) -> Example:
        """`instruction` is the prompt without the source: what the judge is told the task was."""
        return self.make(
            row,
            split,
            key,
            input=prompt,
            target=reference.strip(),
            answer_type="text",
            meta={
                "judge": "hallucination",
                "source_text": source_text,
                "task_instruction": instruction,
                "prompt_version": PROMPT_VERSION,
                **meta,
            },
        )


class ACIBench(Grounded):
    name = "aci_bench"
    description = "ACI-BENCH: write a clinical note from a doctor-patient conversation (grounded summarisation)"
    hf_id = "mkieffer/ACI-Bench"
    configs = ("aci", "virtassist", "virtscribe")
    split_map = {"test": ("test1",), "dev": ("valid",), "train": ("train",)}
    local_format = (
        'aci-bench\'s challenge_data_json/clinicalnlp_taskB_test1.json ({"data": [{"src", "tgt", "file"}]}) or '
        "challenge_data/*test1*.csv (dataset, encounter_id, dialogue, note), or <config>/test1.parquet"
    )

    def hub_layout(self, root: Path) -> bool:
        return root.is_dir() and any((root / c).is_dir() for c in self.configs)

    def read_local(self, root: Path, split: str) -> list[Row]:
        rows = super().read_local(root, split)
        if not self.hub_layout(root):
            self.missing_subsets = []  # the release's files hold every config
        return rows

    def local_files(self, root: Path, subset: str | None, names: tuple[str, ...]) -> list[Path]:
        if self.hub_layout(root):
            return super().local_files(root, subset, names)
        # The release keeps every config in one file (a `dataset` column, or a `file` suffix);
        # it ships the same data as JSON and as CSV: read one of them, never both.
        if subset != self.configs[0]:
            return []
        found = find_split_files(root, names, recursive=True)
        for suffix in (".json", ".csv", ".jsonl", ".parquet"):
            if any(p.suffix == suffix for p in found):
                return [p for p in found if p.suffix == suffix]
        return found

    def to_example(self, row: Row, split: str) -> Example:
        if "src" in row:  # release JSON: "file" is like "D2N088-virtassist"
            dialogue, note, encounter = row["src"], row["tgt"], str(row.get("file") or row["_index"])
            config = encounter.rsplit("-", 1)[1] if "-" in encounter else None
        else:
            dialogue, note, encounter = row["dialogue"], row["note"], str(row["encounter_id"])
            config = row.get("dataset") or row.get("_subset")
        return self.grounded(
            row,
            split,
            f"{row['_split']}/{encounter}",
            ACI_PROMPT.format(dialogue=dialogue.strip()),
            dialogue,
            note,
            ACI_INSTRUCTION,
            encounter_id=encounter,
            subset=config,
        )


class QMSum(Grounded):
    name = "qmsum"
    description = "QMSum: summarise a meeting transcript for a query (grounded summarisation)"
    hf_id = "pszemraj/qmsum-cleaned"
    split_map = {"test": ("test",), "dev": ("validation", "val"), "train": ("train",)}
    local_format = "QMSum's release data/ALL/jsonl/test.jsonl (meeting_transcripts, general_query_list, specific_query_list), or SCROLLS-style rows (id, input, output)"

    def local_files(self, root: Path, subset: str | None, names: tuple[str, ...]) -> list[Path]:
        """The release's data/ holds every split four times over: in ALL/ and in one folder per
        domain (Academic, Committee, Product), each as jsonl/<split>.jsonl and again as
        <split>/<meeting>.json. Read ALL/ when it is there, else the domain folders (disjoint),
        and in each folder the JSON Lines file when there is one, never both copies."""
        found = super().local_files(root, subset, names)
        if root.is_dir():
            in_all = [p for p in found if "ALL" in p.relative_to(root).parts[:-1]]
            found = in_all or found
        by_folder: dict[Path, list[Path]] = {}
        for path in found:  # <domain>/jsonl/test.jsonl and <domain>/test/<meeting>.json share <domain>
            by_folder.setdefault(path.parent.parent, []).append(path)
        chosen = []
        for files in by_folder.values():
            jsonl = [p for p in files if p.suffix == ".jsonl"]
            chosen += jsonl or files
        return sorted(chosen)

    def read_file(self, path: Path) -> list[Row]:
        rows = super().read_file(path)
        if rows and "meeting_transcripts" in rows[0]:  # one meeting per row: one row per query
            # A meeting of data/ALL/jsonl/test.jsonl is "test-<row>"; of a domain's copy "<domain>/test-<row>".
            domain = path.parent.parent.name if path.parent.name == "jsonl" else "ALL"
            stem = path.stem if domain == "ALL" else f"{domain}/{path.stem}"
            return [q | {"_meeting_row": i} for i, meeting in enumerate(rows) for q in queries_of(meeting, f"{stem}-{i}")]
        return rows

    def read_local(self, root: Path, split: str) -> list[Row]:
        """Rows of queries whose provenance is their meeting's row in the file (meta["row"])."""
        rows = super().read_local(root, split)
        for row in rows:
            if "_meeting_row" in row:
                row["_index"] = row.pop("_meeting_row")
                row["_where"] = f"{row['_source']}: row {row['_index'] + 1}"
        return rows

    def rows_from_json(self, data: Any, path: Path) -> list[Row]:
        if isinstance(data, dict) and "meeting_transcripts" in data:  # data/ALL/test/<meeting>.json
            return [data | {"_meeting": path.stem}]
        return super().rows_from_json(data, path)

    def to_example(self, row: Row, split: str) -> Example:
        if "transcript" in row:
            query, transcript, answer, key = row["query"], row["transcript"], row["answer"], row["key"]
        else:  # SCROLLS layout: the query, a blank line, then the transcript
            query, _, transcript = row["input"].partition("\n\n")
            answer, key = row.get("output") or "", str(row["id"])
        return self.grounded(
            row,
            split,
            key,
            QMSUM_PROMPT.format(query=query.strip(), transcript=transcript.strip()),
            transcript,
            answer,
            f"{QMSUM_INSTRUCTION}\n\nQuery: {query.strip()}",
            query=query.strip(),
        )


def queries_of(meeting: Row, fallback: str) -> list[Row]:
    name = meeting.get("_meeting", fallback)
    transcript = "\n".join(f"{t['speaker']}: {t['content']}" for t in meeting["meeting_transcripts"])
    out = []
    for kind in ("general", "specific"):
        for j, q in enumerate(meeting.get(f"{kind}_query_list") or []):
            out.append(
                {
                    "query": q["query"],
                    "answer": q.get("answer", ""),
                    "transcript": transcript,
                    "key": f"{name}/{kind}/{j}",
                }
            )
    return out


class MSMarco(Grounded):
    name = "ms_marco"
    description = "MS MARCO: answer a web query from retrieved passages (grounded generation)"
    hf_id = "microsoft/ms_marco"
    configs = ("v2.1",)
    split_map = {"test": ("validation",), "train": ("train",)}
    local_format = "microsoft/ms_marco rows (query, query_id, passages, answers) as v2.1/validation-*.parquet or .jsonl"

    def to_example(self, row: Row, split: str) -> Example | None:
        answers = [a for a in row["answers"] if a and a.strip() != "No Answer Present."]
        if not answers:
            return None
        texts = list(row["passages"]["passage_text"])
        passages = "\n\n".join(f"Passage {i + 1}: {t.strip()}" for i, t in enumerate(texts))
        return self.grounded(
            row,
            split,
            str(row["query_id"]),
            MSMARCO_PROMPT.format(passages=passages, query=row["query"].strip()),
            passages,
            answers[0],
            f"{MSMARCO_INSTRUCTION}\n\nQuestion: {row['query'].strip()}",
            query_type=row.get("query_type"),
            answers=answers,
            well_formed_answers=list(row.get("wellFormedAnswers") or []),
        )

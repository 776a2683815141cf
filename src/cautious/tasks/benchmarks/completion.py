"""Text completion: HellaSwag (Zellers et al., 2019) and LAMBADA (Paperno et al., 2016).

HellaSwag — `Rowan/hellaswag`, split `validation` (10,042; the test labels are hidden);
columns `ind`, `activity_label`, `ctx_a`, `ctx_b`, `ctx`, `endings` (4), `label` ("0".."3"),
`source_id`, `split`, `split_type`. Offline: the Hub layout, or the original release's
hellaswag_val.jsonl (same fields, `label` an int). The context and endings are cleaned the
way lm-evaluation-harness does (WikiHow's "[title]" and "[step]" markers removed) and asked as
"which ending is most plausible" with lettered options.

LAMBADA — `EleutherAI/lambada_openai`, config `default`, split `test` (5,153 passages; the
OpenAI-processed text); one column `text`. Offline: the Hub layout or a JSON Lines file of
`{"text": ...}` (lambada_test.jsonl). The model sees the passage without its last word and
must give that word; the gold is the word with surrounding punctuation removed.
"""

from __future__ import annotations

import re
import string

from cautious.records import Example
from cautious.tasks.benchmarks.prompts import mc_prompt
from cautious.tasks.benchmarks.source import BenchmarkTask, Row

HELLASWAG_PREAMBLE = "Choose the most plausible continuation of the text."
LAMBADA_PROMPT = "Predict the last word of the passage below. Reply with that one word only.\n\n{context} ____"


def clean(text: str) -> str:
    text = text.strip().replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ").strip()


class HellaSwag(BenchmarkTask):
    name = "hellaswag"
    description = "HellaSwag: pick the most plausible ending of a short activity description"
    answer_type = "choice"
    needs = ("download",)
    hf_id = "Rowan/hellaswag"
    split_map = {"test": ("validation", "val"), "train": ("train",)}
    local_format = "Rowan/hellaswag rows (activity_label, ctx_a, ctx_b, endings, label) as validation-*.parquet, or hellaswag_val.jsonl"

    def to_example(self, row: Row, split: str) -> Example:
        context = clean(f"{row['activity_label']}: {row['ctx_a']} {str(row['ctx_b']).capitalize()}")
        endings = [clean(e) for e in row["endings"]]
        label = int(row["label"])
        if not 0 <= label < len(endings):
            raise ValueError(f"label {label} is not among {len(endings)} endings")
        key = row.get("ind", row["_index"])
        return self.make(
            row,
            split,
            f"{row['_split']}/{key}",
            input=mc_prompt(f"Text: {context}", endings, preamble=HELLASWAG_PREAMBLE),
            choices=endings,
            label=label,
            answer_type="choice",
            meta={"activity_label": row["activity_label"], "source_id": row.get("source_id")},
        )


class LAMBADA(BenchmarkTask):
    name = "lambada"
    description = "LAMBADA: predict the last word of a passage that needs its broad context"
    answer_type = "text"
    needs = ("download",)
    hf_id = "EleutherAI/lambada_openai"
    configs = ("default",)
    split_map = {"test": ("test", "lambada_test", "lambada_test_en")}
    local_format = "rows with a `text` column (the whole passage) as default/test-*.parquet or lambada_test.jsonl"

    def to_example(self, row: Row, split: str) -> Example:
        text = row["text"].strip()
        # The last word follows the last run of whitespace, a line break included: 7 passages
        # of OpenAI's test file end "of\n\nPower", and splitting at the last space made their
        # gold "of\n\nPower" (lm-evaluation-harness's target is the same), which no one-word
        # answer can match.
        parts = re.split(r"\s+(?=\S+$)", text)
        if len(parts) != 2:
            raise ValueError("`text` has a single word; nothing to predict from")
        context, last = parts
        word = last.strip(string.punctuation + "“”‘’")
        return self.make(
            row,
            split,
            f"{row['_split']}/{row['_index']}",
            input=LAMBADA_PROMPT.format(context=context),
            target=word or last,
            answer_type="text",
            meta={"last_token": last, "context": context},
        )

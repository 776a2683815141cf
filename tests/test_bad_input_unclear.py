"""Class 7: the last failures that were silent or said too little. Each is now one line naming
the file (and line:column, or the folder and what is missing), exit 2, nothing left behind."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests._bad_input import refused, workspace
from tests.test_bad_input_os_errors import _no_bigger_files_than
from tests.teacher_cli import ROOT, cli_env, read_jsonl

TABULATE = """\
- name: tabulate
  description: A table, then the answer.
  sections: [steps, answer]
  teacher_instruction: "Put the facts in a table. End with one line: Final answer: <answer>"
"""


def test_a_strategy_defined_twice_in_one_file_names_both_lines(cli, tmp_path):
    workspace(tmp_path)
    (tmp_path / "twice.yaml").write_text(TABULATE + TABULATE.replace("A table", "Another table"))
    for args in (["strategies", "list", "-f", "{d}/twice.yaml"],
                 ["generate", "-t", "arithmetic", "-s", "tabulate", "--strategies-file", "{d}/twice.yaml", "-n", 1, "--out", "{d}/a.jsonl"]):
        refused(cli, tmp_path, args, "{d}/twice.yaml:5: strategy 'tabulate' is defined twice, here and at {d}/twice.yaml:1")


def test_a_strategy_defined_in_two_files_names_both_places(cli, tmp_path):
    workspace(tmp_path)
    (tmp_path / "a.yaml").write_text(TABULATE)
    (tmp_path / "b.yaml").write_text("strategies:\n" + "".join(f"  {line}\n" for line in TABULATE.splitlines()))
    refused(cli, tmp_path, ["strategies", "show", "tabulate", "-f", "{d}/a.yaml", "-f", "{d}/b.yaml"],
            "{d}/b.yaml:2: strategy 'tabulate' is defined twice, here and at {d}/a.yaml:1")
    # Replacing a built-in by name stays allowed (that is how a built-in's instruction is changed).
    (tmp_path / "c.yaml").write_text(TABULATE.replace("tabulate", "direct-answer"))
    code, out, err = cli("strategies", "show", "direct-answer", "-f", tmp_path / "c.yaml")
    assert code == 0 and "Put the facts in a table" in out, err


@pytest.mark.timeout(120)  # before the fix this started the whole lab preset (minutes)
def test_an_empty_run_config_is_refused_not_run_as_the_lab_preset(cli, tmp_path):
    workspace(tmp_path)
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    refused(cli, tmp_path, ["run", "--config", "{d}/empty.yaml", "--out", "{d}/r"], "{d}/empty.yaml: the run config is empty")


@pytest.mark.parametrize("verb", ["eval", "select"])
def test_a_cache_that_is_the_output_folder_is_refused_before_anything_is_made(cli, tmp_path, verb):
    workspace(tmp_path)
    model = ["-m", "lab"] if verb == "eval" else ["--probe", "lab"]
    refused(cli, tmp_path, [verb, *model, "-t", "arithmetic", "-n", 2, "--out", "{d}/ev", "--cache", "{d}/ev"],
            "{d}/ev: is also the run folder (--out); give --cache a file of its own")  # `refused`: nothing left behind


MALFORMED = [
    # (what, file name, bad text, args, file:line:column)
    ("strategy map", "map.yaml", "arithmetic: direct-answer\ncomparison: [step-by-step\n",
     ["generate", "-t", "arithmetic,comparison", "-s", "{d}/map.yaml", "-n", 1, "--out", "{d}/a.jsonl"], "{d}/map.yaml:3:1"),
    ("run config", "run.yaml", "preset: smoke\nsteps: 3\n  seed: 1\n",
     ["run", "--config", "{d}/run.yaml", "--out", "{d}/r"], "{d}/run.yaml:3:7"),
    ("strategies file", "s.yaml", TABULATE + "- name: x\n description: y\n",
     ["strategies", "list", "-f", "{d}/s.yaml"], "{d}/s.yaml:6:2"),
]


@pytest.mark.parametrize("file, text, args, where", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_yaml_names_file_line_and_column(cli, tmp_path, file, text, args, where):
    workspace(tmp_path)
    (tmp_path / file).write_text(text)
    refused(cli, tmp_path, args, f"{where}: malformed YAML: ")


def _model_folders(root):
    (root / "empty").mkdir()
    half = root / "half"  # what an interrupted copy leaves: the config and tokenizer, no weights
    half.mkdir()
    (half / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (half / "tokenizer.json").write_text("{}")
    return {"empty": "is empty: it has no config.json, tokenizer (tokenizer.json, tokenizer.model or vocab.json) or weights",
            "half": "is not a whole model folder: it has no weights (*.safetensors or pytorch_model.bin)"}


@pytest.mark.parametrize("verb", ["eval", "train", "run"])
def test_an_empty_or_incomplete_model_folder_says_which_folder_and_what_is_missing(cli, tmp_path, verb):
    workspace(tmp_path)
    for name, says in _model_folders(tmp_path).items():
        folder = tmp_path / name
        if verb == "eval":
            args, prefix = ["eval", "-m", f"hf:{folder}", "-t", "arithmetic", "-n", 1, "--out", "{d}/ev"], ""
        elif verb == "train":
            args, prefix = ["train", "--data", "{d}/train.jsonl", "--model", folder, "-o", "{d}/m"], ""
        else:
            (tmp_path / "run.yaml").write_text(f"preset: smoke\nprobe: hf:{folder}\n")
            args, prefix = ["run", "--config", "{d}/run.yaml", "--out", "{d}/r"], "run config: probe: "
        line = refused(cli, tmp_path, args, f"{prefix}{folder}: {says}")
        assert "Couldn't instantiate" not in line


def test_a_full_disk_during_generate_says_the_same_command_repairs_and_resumes(tmp_path):
    out = tmp_path / "a.jsonl"
    cmd = [sys.executable, "-m", "cautious", "generate", "-t", "arithmetic", "-s", "step-by-step", "-n", "40", "--out", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=cli_env(), cwd=ROOT, timeout=120, preexec_fn=_no_bigger_files_than(1500))
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(lines) == 1, r.stderr
    assert f"{out}: File too large; free some space, then run the same command again: it cuts the torn last line of {out} " \
           "and resumes, sending only what is missing" in lines[0], lines[0]
    again = subprocess.run(cmd, capture_output=True, text=True, env=cli_env(), cwd=ROOT, timeout=120)
    assert again.returncode == 0, again.stderr  # what the line promised
    records = read_jsonl(out)
    assert len(records) == 40 and len({r["example_id"] for r in records}) == 40


def test_report_on_a_run_folder_points_to_its_report_and_its_eval_folders(cli, tmp_path):
    workspace(tmp_path)
    run = tmp_path / "r"
    for student in ("cautious", "direct-only"):
        code, _, err = cli("eval", "-m", "lab", "-t", "comparison", "-n", 2, "--out", run / f"eval-{student}")
        assert code == 0, err
    (run / "report").mkdir()
    (run / "report" / "report.md").write_text("# the run's report\n")
    line = refused(cli, tmp_path, ["report", "{d}/r"], "{d}/r: holds eval runs, it is not one itself; "
                   "its report is already written: {d}/r/report/report.md; to report them side by side: "
                   "cautious report {d}/r/eval-cautious {d}/r/eval-direct-only")
    assert "cautious eval --out" not in line

"""Class 2: an input that is a folder, or not UTF-8 text, is one line naming it — in every
command and for every kind of file (strategies, strategy maps, configs, system messages, JSONL)."""

from __future__ import annotations

import pytest

from tests._bad_input import refused, workspace

GEN = ["generate", "-t", "arithmetic", "-n", 2, "--out", "{d}/new.jsonl"]

CASES = [
    # (id, args, the line says)
    ("strategies-file-folder", ["strategies", "list", "--file", "{d}/folder"], "{d}/folder: is a folder, expected a strategies file"),
    ("strategies-file-binary", ["strategies", "list", "--file", "{d}/binary.yaml"], "{d}/binary.yaml:1: not UTF-8 text"),
    ("generate-strategies-file-binary", [*GEN, "-s", "direct-answer", "--strategies-file", "{d}/binary.yaml"], "binary.yaml:1: not UTF-8 text"),
    ("strategy-map-folder", [*GEN, "-s", "{d}/folder"], "{d}/folder: is a folder, expected a strategy map"),
    ("strategy-map-binary", [*GEN, "-s", "{d}/binary.yaml"], "{d}/binary.yaml:1: not UTF-8 text"),
    ("prices-binary", [*GEN, "-s", "direct-answer", "--dry-run", "--prices", "{d}/binary.yaml"], "{d}/binary.yaml:1: not UTF-8 text"),
    ("train-config-folder", ["train", "--config", "{d}/folder"], "{d}/folder: is a folder, expected a config file"),
    ("train-config-binary", ["train", "--config", "{d}/binary.yaml"], "{d}/binary.yaml:1: not UTF-8 text"),
    ("train-data-binary", ["train", "--data", "{d}/binary.txt", "-o", "{d}/m"], "{d}/binary.txt:1: not UTF-8 text"),
    ("train-data-folder", ["train", "--data", "{d}/folder", "-o", "{d}/m"], "{d}/folder: is a folder"),
    ("run-config-folder", ["run", "--config", "{d}/folder", "--out", "{d}/r"], "{d}/folder: is a folder, expected a config file"),
    ("run-config-binary", ["run", "--config", "{d}/binary.yaml", "--out", "{d}/r"], "{d}/binary.yaml:1: not UTF-8 text"),
    ("eval-system-folder", ["eval", "-m", "lab", "-t", "arithmetic", "-n", 1, "-s", "@{d}/folder", "--out", "{d}/ev"],
     "{d}/folder: is a folder, expected a system message file"),
    ("eval-system-binary", ["eval", "-m", "lab", "-t", "arithmetic", "-n", 1, "-s", "@{d}/binary.txt", "--out", "{d}/ev"],
     "{d}/binary.txt:1: not UTF-8 text"),
    ("erase-jsonl-binary", ["erase", "{d}/binary.jsonl", "--out", "{d}/t.jsonl"], "{d}/binary.jsonl:1: not UTF-8 text"),
    ("erase-jsonl-folder", ["erase", "{d}/folder", "--out", "{d}/t.jsonl"], "{d}/folder: is a folder, expected a JSONL file"),
    ("erase-system-folder", ["erase", "{d}/answers.jsonl", "--system", "@{d}/folder", "--out", "{d}/t.jsonl"],
     "{d}/folder: is a folder, expected a system message file"),
    ("merge-jsonl-binary", ["merge", "{d}/binary.jsonl", "--out", "{d}/m.jsonl"], "{d}/binary.jsonl:1: not UTF-8 text"),
    ("merge-jsonl-folder", ["merge", "{d}/folder", "--out", "{d}/m.jsonl"], "{d}/folder: is a folder, expected a JSONL file"),
    ("tasks-show-binary", ["tasks", "show", "{d}/binary.jsonl"], "{d}/binary.jsonl:1: not UTF-8 text"),
    ("generate-task-binary", [*GEN, "-s", "direct-answer", "-t", "{d}/binary.jsonl"], "{d}/binary.jsonl:1: not UTF-8 text"),
]


@pytest.mark.parametrize("args, message", [(a, m) for _, a, m in CASES], ids=[c for c, _, _ in CASES])
def test_an_input_that_is_a_folder_or_not_utf8_is_one_line(cli, tmp_path, args, message):
    workspace(tmp_path)
    refused(cli, tmp_path, args, message)

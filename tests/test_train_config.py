"""Bad input to `cautious train`: one clear line, exit code 2, no traceback, nothing trained."""

from __future__ import annotations

import pytest

from _train_helpers import addition_chats, chat, write_jsonl, one_thread  # noqa: F401 (autouse)
from cautious.train.config import load_config


@pytest.fixture
def data(tmp_path):
    return write_jsonl(tmp_path / "train.jsonl", addition_chats(10))


def write_config(tmp_path, text: str):
    path = tmp_path / "train.yaml"
    path.write_text(text)
    return path


def assert_refused(result, *needles):
    code, out, err = result
    assert code == 2, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    for needle in needles:
        assert needle in err, err
    assert len(err.strip().splitlines()) <= 3  # one message (rich may wrap it)


def test_unknown_config_key_is_named(cli, tmp_path, data):
    cfg = write_config(tmp_path, f"stages: [{{datasets: [{data}]}}]\nlearning_rate: 1e-3\n")
    assert_refused(cli("train", "--config", cfg), "unknown config key 'learning_rate'", "valid keys:", "lr")


def test_unknown_nested_key_is_named(cli, tmp_path, data):
    cfg = write_config(tmp_path, f"stages: [{{datasets: [{data}], epoch: 2}}]\n")
    assert_refused(cli("train", "--config", cfg), "unknown config key 'stages.0.epoch'", "epochs")


def test_bad_value_names_the_key(cli, tmp_path, data):
    assert_refused(cli("train", "--data", data, "--set", "lab_tiny.hidden_size=abc"), "lab_tiny.hidden_size")


def test_missing_dataset_file(cli, tmp_path):
    assert_refused(cli("train", "--data", tmp_path / "nope.jsonl", "-o", tmp_path / "out"), "nope.jsonl: dataset file not found")
    assert not (tmp_path / "out").exists()


def test_missing_config_file(cli, tmp_path):
    assert_refused(cli("train", "--config", tmp_path / "nope.yaml"), "nope.yaml: config file not found")


def test_no_data_at_all(cli, tmp_path):
    assert_refused(cli("train", "-o", tmp_path / "out"), "no training data")


def test_malformed_dataset_line(cli, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}\n{oops\n')
    assert_refused(cli("train", "--data", bad, "-o", tmp_path / "out"), "bad.jsonl:2: malformed JSON")


def test_record_without_messages_or_text(cli, tmp_path):
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"prompt": "x", "completion": "y"}])
    assert_refused(cli("train", "--data", bad, "-o", tmp_path / "out"), "bad.jsonl:1: missing field `messages` or `text`")


def test_max_len_shorter_than_a_prompt(cli, tmp_path):
    long = write_jsonl(tmp_path / "long.jsonl", addition_chats(3) + [chat("What is " + "1 + " * 60 + "1?", "61")])
    assert_refused(cli("train", "--data", long, "-o", tmp_path / "out", "--max-len", "64"), "long.jsonl:4: the prompt is", "max_len 64")
    assert not (tmp_path / "out").exists()


def test_binary_dataset_file(cli, tmp_path):
    bad = tmp_path / "facts.txt"
    bad.write_bytes(b"\xff\xfe\x00binary")
    assert_refused(cli("train", "--data", bad, "-o", tmp_path / "out"), "facts.txt:1: not UTF-8 text")


def test_malformed_yaml(cli, tmp_path):
    cfg = write_config(tmp_path, "stages: [\n  - datasets: x\n")
    assert_refused(cli("train", "--config", cfg), "train.yaml", "malformed YAML")


def test_flags_override_the_file_and_set_reaches_nested_keys(tmp_path, data):
    cfg = write_config(tmp_path, f"lr: 1.0e-3\nstages:\n  - datasets: [{data}]\n    epochs: 3\n")
    c = load_config(cfg, {"lr": 5e-4, "max_len": None}, ["stages.0.epochs=2", "lab_tiny.num_layers=3"])
    assert c.lr == 5e-4 and c.max_len == 512  # None flags leave the file (or default) alone
    assert c.stages[0].epochs == 2 and c.stage_value(c.stages[0], "lr") == 5e-4
    assert c.lab_tiny.num_layers == 3
    assert c.stages[0].datasets[0].path == data


def test_unknown_model_folder(cli, tmp_path, data):
    assert_refused(cli("train", "--data", data, "--model", "./no/such/model", "-o", tmp_path / "out"), "folder not found")

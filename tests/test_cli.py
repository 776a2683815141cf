"""The command line, driven as a user would: listing, previewing, generate → erase, bad input."""

from __future__ import annotations

import json

from cautious.jsonl import read_records
from cautious.records import TeacherAnswer, TrainExample


def test_help_lists_every_verb(cli):
    code, out, _ = cli("--help")
    assert code == 0
    for verb in ("tasks", "strategies", "generate", "erase"):
        assert verb in out


def test_tasks_list_and_show(cli):
    code, out, _ = cli("tasks", "list")
    assert code == 0 and "arithmetic" in out and "kb_recall" in out
    code, out, _ = cli("tasks", "show", "arithmetic", "-n", "2", "--split", "dev")
    assert code == 0 and out.count("gold:") == 2 and "What is" in out


def test_tasks_show_previews_a_lab_family_at_the_knobs_a_run_config_would_set(cli, tmp_path):
    from cautious.lab.base import with_knobs
    from cautious.tasks import resolve_tasks

    code, out, _ = cli("tasks", "show", "comparison", "-n", "3", "--knob", "digits=6", "--knob", "equal_prefix=1.0", "--knob", "max_tail=0")
    assert code == 0, out
    expected = with_knobs(resolve_tasks(["comparison"]), {"comparison": {"digits": 6, "equal_prefix": 1.0, "max_tail": 0}})[0]
    inputs = [e.input for e in expected.examples("train", n=3, seed=0)]
    assert all(q in out for q in inputs)  # the same questions a run with these task_knobs draws
    for q in inputs:  # six digits, differing only in the last one
        a, b = q.removeprefix("Which number is larger: ").removesuffix("?").split(" or ")
        assert len(a) == len(b) == 6 and a[:5] == b[:5] and a != b
    code, out, err = cli("tasks", "show", "comparison", "--knob", "digitz=6")
    assert code != 0 and "unknown knob 'digitz'" in out + err and "Traceback" not in out + err
    code, out, err = cli("tasks", "show", "comparison", "--knob", "digits")
    assert code != 0 and "expected KEY=VALUE" in out + err
    task_file = tmp_path / "mine.jsonl"
    task_file.write_text('{"input": "2+2?", "target": "4"}\n')
    code, out, err = cli("tasks", "show", str(task_file), "--knob", "digits=6")
    assert code != 0 and "only lab families have knobs" in out + err


def test_strategies_list_and_show(cli):
    code, out, _ = cli("strategies", "list")
    assert code == 0 and "guess-and-check" in out and "extract-generate" in out
    code, out, _ = cli("strategies", "show", "recall-reason-generate")
    assert code == 0 and "Reasoning: <one inference>" in out


def test_generate_then_erase_on_the_lab(cli, tmp_path):
    answers, train = tmp_path / "answers.jsonl", tmp_path / "train.jsonl"
    smap = tmp_path / "map.yaml"
    smap.write_text("arithmetic: step-by-step\nkv_lookup: extract-generate\ndefault: direct-answer\n")
    code, out, _ = cli("generate", "--tasks", "arithmetic,kv_lookup,comparison", "--strategy", smap, "-n", "20", "--out", answers)
    assert code == 0, out
    assert "100.0" in out and "kv_lookup" in out
    records = read_records(answers, TeacherAnswer)
    assert len(records) == 60 and all(r.correct for r in records)
    assert {(r.task, r.strategy) for r in records} == {
        ("arithmetic", "step-by-step"), ("kv_lookup", "extract-generate"), ("comparison", "direct-answer")}
    code, out, _ = cli("erase", answers, "--out", train, "--system", "empty")
    assert code == 0 and "60 training chats" in out
    chats = read_records(train, TrainExample)
    assert all(c.messages[0].content == "" for c in chats)


def test_unknown_task_strategy_and_empty_selection_exit_2_with_one_message(cli, tmp_path):
    out_file = tmp_path / "a.jsonl"
    code, _, err = cli("generate", "--tasks", "algebra", "--strategy", "step-by-step", "--out", out_file)
    assert code == 2 and "unknown task 'algebra'" in err and "arithmetic" in err and "Traceback" not in err
    code, _, err = cli("generate", "--tasks", "arithmetic", "--strategy", "ponder", "--out", out_file)
    assert code == 2 and "unknown strategy 'ponder'" in err and "step-by-step" in err
    code, _, err = cli("generate", "--tasks", "arithmetic", "--strategy", "step-by-step", "-n", "0", "--out", out_file)
    assert code == 2 and "empty selection" in err
    code, _, err = cli("generate", "--tasks", " , ", "--strategy", "step-by-step", "--out", out_file)
    assert code == 2 and "no tasks selected" in err
    assert not out_file.exists()


def test_erase_bad_input_names_file_line_and_field_and_writes_nothing(cli, tmp_path):
    good = tmp_path / "answers.jsonl"
    code, _, _ = cli("generate", "--tasks", "arithmetic", "--strategy", "direct-answer", "-n", "3", "--out", good)
    assert code == 0
    lines = good.read_text().splitlines()
    broken = json.loads(lines[1])
    del broken["response"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([lines[0], json.dumps(broken), lines[2]]) + "\n")
    out_file = tmp_path / "train.jsonl"
    code, _, err = cli("erase", bad, "--out", out_file)
    assert code == 2 and "bad.jsonl:2:response: missing field" in err
    bad.write_text(lines[0] + "\n{not json\n")
    code, _, err = cli("erase", bad, "--out", out_file)
    assert code == 2 and "bad.jsonl:2: malformed JSON" in err
    code, _, err = cli("erase", tmp_path / "missing.jsonl", "--out", out_file)
    assert code == 2 and "missing.jsonl: file not found" in err
    assert not out_file.exists() and not list(tmp_path.glob(".*.tmp"))


def test_erase_with_nothing_correct_says_so(cli, tmp_path):
    answers = tmp_path / "answers.jsonl"
    cli("generate", "--tasks", "arithmetic", "--strategy", "direct-answer", "-n", "2", "--out", answers)
    rows = [json.loads(line) | {"correct": False} for line in answers.read_text().splitlines()]
    answers.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, _, err = cli("erase", answers, "--out", tmp_path / "train.jsonl")
    assert code == 2 and "2 incorrect" in err and "--include-incorrect" in err

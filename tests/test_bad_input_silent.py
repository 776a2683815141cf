"""Class 4: input that used to be accepted without a word is refused in one line: training data
with nothing to learn, unknown roles, a strategy-map key for no requested task, options no
backend takes, `@file` system messages, and out-of-range options."""

from __future__ import annotations

import json

import pytest

from tests._bad_input import refused, workspace


def chats(*assistant_contents: str, role: str = "assistant") -> str:
    rows = [{"messages": [{"role": "user", "content": f"What is {i} + 1?"}, {"role": role, "content": text}]}
            for i, text in enumerate(assistant_contents)]
    return "".join(json.dumps(r) + "\n" for r in rows)


def write(root, name: str, text: str) -> None:
    (root / name).write_text(text, encoding="utf-8")


SETUP = {
    "empty.jsonl": chats("", " ", "\n"),
    "first-empty-on-line-2.jsonl": chats("Final answer: 1", "  ", "Final answer: 3"),
    "roles.jsonl": chats("Final answer: 1", role="bot"),
    "extra-key-map.yaml": "arithmetic: direct-answer\narithmatic: step-by-step\n",
    "options.yaml": "preset: smoke\nteacher_options: {temperature: 0.5}\n",
    "openai-options.yaml": "preset: smoke\nteacher: openai:gpt-x\nteacher_options: {concurency: 8}\n",
    "erase-system.yaml": "preset: smoke\nerase_system: '@{d}/no-such-system.txt'\n",
}

CASES = [
    ("assistant-turns-all-empty", ["train", "--data", "{d}/empty.jsonl", "-o", "{d}/m"],
     "{d}/empty.jsonl:1: every assistant turn is empty, so only the end-of-turn marker would be trained"),
    ("first-empty-chat-named-by-line", ["train", "--data", "{d}/first-empty-on-line-2.jsonl", "-o", "{d}/m"],
     "first-empty-on-line-2.jsonl:2: every assistant turn is empty"),
    ("show-labels-refuses-too", ["train", "--data", "{d}/empty.jsonl", "--show-labels", 1], "{d}/empty.jsonl:1: every assistant turn is empty"),
    ("unknown-role", ["train", "--data", "{d}/roles.jsonl", "-o", "{d}/m"],
     "{d}/roles.jsonl:1:messages.1.role: unknown role 'bot'; valid roles: system, user, assistant"),
    ("map-key-for-no-requested-task", ["generate", "-t", "arithmetic", "-s", "{d}/extra-key-map.yaml", "--out", "{d}/a.jsonl"],
     "extra-key-map.yaml:arithmatic: names no requested task; requested: arithmetic"),
    ("lab-teacher-options", ["run", "--config", "{d}/options.yaml", "--out", "{d}/r"],
     "run config: teacher_options: the lab teacher takes no options (got 'temperature')"),
    ("unknown-openai-option", ["run", "--config", "{d}/openai-options.yaml", "--out", "{d}/r"],
     "run config: teacher_options: unknown option 'concurency' for the openai backend; valid options:", "concurrency"),
    ("erase-system-file-missing", ["run", "--config", "{d}/erase-system.yaml", "--out", "{d}/r"],
     "run config: erase_system: {d}/no-such-system.txt: system message file not found"),
    ("erase-cli-system-file-missing", ["erase", "{d}/answers.jsonl", "--system", "@{d}/nope.txt", "--out", "{d}/t.jsonl"],
     "{d}/nope.txt: system message file not found"),
    ("tasks-show-negative-n", ["tasks", "show", "arithmetic", "-n", "-1"], "-n -1: expected how many examples to show"),
    ("select-on-the-test-split", ["select", "--probe", "lab", "-t", "arithmetic", "--split", "test", "--out", "{d}/sel"],
     "--split test: selection must not see the test split"),
    ("select-tie-tolerance-above-1", ["select", "--probe", "lab", "-t", "arithmetic", "--tie-tolerance", "1.5", "--out", "{d}/sel"],
     "--tie-tolerance 1.5: must be at most 1"),
    ("select-tie-tolerance-negative", ["select", "--probe", "lab", "-t", "arithmetic", "--tie-tolerance", "-0.1", "--out", "{d}/sel"],
     "--tie-tolerance -0.1"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_input_that_was_silently_accepted_is_refused(cli, tmp_path, case):
    _, args, *messages = case
    workspace(tmp_path)
    for name, text in SETUP.items():
        write(tmp_path, name, text.replace("{d}", str(tmp_path)))
    refused(cli, tmp_path, args, *messages)


def test_erase_reads_an_at_file_system_message_as_the_file_text(cli, tmp_path):
    workspace(tmp_path)
    code, _, err = cli("erase", tmp_path / "answers.jsonl", "--system", f"@{tmp_path / 'system.txt'}", "--out", tmp_path / "t.jsonl")
    assert code == 0, err
    systems = {json.loads(line)["messages"][0]["content"] for line in (tmp_path / "t.jsonl").read_text().splitlines()}
    assert systems == {"Answer with care."}


def test_erase_never_writes_an_empty_assistant_turn(cli, tmp_path):
    workspace(tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "answers.jsonl").read_text().splitlines()]
    rows[0] |= {"response": "", "status": "request_failed", "reason": "answer: HTTP 500", "error": "request failed: answer: HTTP 500",
                "correct": False}
    (tmp_path / "answers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out, err = cli("erase", tmp_path / "answers.jsonl", "--include-incorrect", "--out", tmp_path / "t.jsonl")
    assert code == 0 and "1 empty" in out, err
    assert all(json.loads(line)["messages"][2]["content"] for line in (tmp_path / "t.jsonl").read_text().splitlines())

"""One writer per real output, whatever name reaches it. Two `cautious generate` runs, one on
`--out ans.jsonl` and one on a symlink to it, both ran and paid every teacher request twice (the
lock followed the name). Every command that writes an output — generate, eval, select, train,
run — now locks the resolved file (and, once it exists, its inode), so the second is refused in
one line before it sends or writes anything."""

from __future__ import annotations

import os
import subprocess
from collections import Counter

import pytest

from cautious.locks import exclusive
from tests._bad_input import refused, workspace
from tests._train_helpers import addition_chats, write_jsonl
from tests.fake_openai_server import FakeOpenAIServer
from tests.teacher_cli import ROOT, cautious_cmd, cli_env, invoke, read_jsonl, request_signature, teacher_args

TINY_TRAIN = ["--max-steps", 1, "--max-len", 64, "--batch-size", 2, "--micro-batch-size", 2, "--set", "lab_tiny.hidden_size=32",
              "--set", "lab_tiny.num_layers=1", "--set", "lab_tiny.num_heads=2", "--set", "lab_tiny.intermediate_size=64",
              "--set", "lab_tiny.vocab_size=300", "--no-progress"]


def test_two_generates_through_a_file_and_a_symlink_to_it_pay_each_request_once(tmp_path):
    out, link = tmp_path / "ans.jsonl", tmp_path / "link.jsonl"
    out.touch()
    link.symlink_to(out)
    with FakeOpenAIServer(lifetime=300) as srv:
        args = ["-t", "arithmetic", "-s", "direct-answer", "-n", 12, "--concurrency", 2]
        srv.hold(after=2)  # the first writer is mid-run, for certain, while the second starts
        first = subprocess.Popen(cautious_cmd(*teacher_args(srv.base_url, out, *args)), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=ROOT)
        try:
            assert srv.wait_held(while_alive=lambda: first.poll() is None), first.communicate()
            second = invoke(*teacher_args(srv.base_url, link, *args))
            srv.release()
            _, err = first.communicate(timeout=120)
        finally:
            first.kill()
            srv.release()
        assert first.returncode == 0, err
        assert second.returncode == 2 and "Traceback" not in second.stderr
        [line] = [line for line in second.stderr.splitlines() if line.strip()]
        assert f"{link} (= {out}): another `cautious generate` is writing it (pid {first.pid})" in line, line
        sent = Counter(request_signature(r) for r in srv.chat_requests())
    assert len(sent) == 12 and max(sent.values()) == 1  # every request paid once
    records = read_jsonl(out)
    assert len(records) == 12 and len({r["example_id"] for r in records}) == 12


def _aliases(tmp_path, real, kind):
    """A symlink to `real`, a path through a symlinked folder, and (files only) a hard link."""
    (tmp_path / "via").symlink_to(real.parent, target_is_directory=True)
    names = {"symlink": tmp_path / "alias", "linked folder": tmp_path / "via" / real.name}
    (tmp_path / "alias").symlink_to(real, target_is_directory=kind == "folder")
    if kind == "file":
        os.link(real, tmp_path / "hard.jsonl")
        names["hard link"] = tmp_path / "hard.jsonl"
    return names


WRITERS = [
    # (command, output kind, lock taken like the command does, args with {out})
    ("generate", "file", {}, ["generate", "-t", "arithmetic", "-s", "direct-answer", "-n", 2, "--out", "{out}"]),
    ("eval", "folder", {"folder": True}, ["eval", "-m", "lab", "-t", "arithmetic", "-n", 2, "--out", "{out}"]),
    ("select", "folder", {}, ["select", "--probe", "lab", "-t", "arithmetic", "-n", 2, "--out", "{out}"]),
    ("train", "folder", {}, ["train", "--data", "{d}/data.jsonl", "-o", "{out}", *TINY_TRAIN]),
    ("run", "folder", {}, ["run", "--preset", "smoke", "--out", "{out}", "--no-progress"]),
]


@pytest.mark.parametrize("command, kind, how, args", WRITERS, ids=[w[0] for w in WRITERS])
def test_a_second_writer_reaching_the_same_output_by_another_name_is_refused(cli, tmp_path, command, kind, how, args):
    workspace(tmp_path)
    write_jsonl(tmp_path / "data.jsonl", addition_chats(4))
    real = tmp_path / "real" / ("ans.jsonl" if kind == "file" else "out")
    real.parent.mkdir()
    real.touch() if kind == "file" else real.mkdir()
    for why, name in _aliases(tmp_path, real, kind).items():
        with exclusive(real, command, **how):  # the first writer, on the real name
            given = [str(a).replace("{out}", str(name)) for a in args]
            line = refused(cli, tmp_path, given, f"another `cautious {command}` is writing it")
            assert line.split(": another")[0].startswith(f"error: {name}"), (why, line)

"""Class 6: one writer per output. While a `generate` holds its --out (or an `eval` its run
folder), a second one is refused in one line before it sends or appends anything; a writer
that died (even by SIGKILL) leaves no lock behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from cautious.locks import exclusive, lock_path
from tests._bad_input import refused, workspace
from tests.teacher_cli import ROOT, cli_env, invoke, read_jsonl

HELD = [
    # (held target, is a folder, second writer, command named in the line)
    ("{d}/a.jsonl", False, ["generate", "-t", "arithmetic", "-s", "direct-answer", "-n", 3, "--out", "{d}/a.jsonl"], "generate"),
    ("{d}/ev", True, ["eval", "-m", "lab", "-t", "arithmetic", "-n", 2, "--out", "{d}/ev"], "eval"),
]


@pytest.mark.parametrize("target, folder, args, command", HELD, ids=[h[3] for h in HELD])
def test_a_second_writer_is_refused_in_one_line(cli, tmp_path, target, folder, args, command):
    workspace(tmp_path)
    held = target.replace("{d}", str(tmp_path))
    if folder:
        os.makedirs(held)
    with exclusive(held, command, folder=folder):
        refused(cli, tmp_path, args, f"{held}: another `cautious {command}` is writing it (pid {os.getpid()})")
    assert not lock_path(held, folder).exists()  # released and removed
    assert invoke(*[str(a).replace("{d}", str(tmp_path)) for a in args]).returncode == 0  # free again


def test_a_lock_dies_with_its_process(tmp_path):
    out = tmp_path / "a.jsonl"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from cautious.locks import exclusive
        with exclusive({str(out)!r}, "generate"):
            print("held", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=cli_env())
    try:
        assert holder.stdout.readline().strip() == "held"
        args = ["generate", "-t", "arithmetic", "-s", "direct-answer", "-n", 3, "--out", out]
        assert invoke(*args).returncode == 2
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        r = invoke(*args)
    finally:
        holder.kill()
    assert r.returncode == 0, r.stderr and len(read_jsonl(out)) == 3

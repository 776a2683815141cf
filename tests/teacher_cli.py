"""Running `cautious generate` / `cautious merge` as a real subprocess, the way users do.

A subprocess (not the in-process CLI runner) is what the kill/resume and secrets tests need:
SIGKILL must hit a real process, and every file and log it writes must be inspectable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update({"COLUMNS": "200", "PYTHONUNBUFFERED": "1"}, **extra)
    return env


def cautious_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "cautious", *[str(a) for a in args]]


#: `python -m cautious` with Ctrl-C turned back on first (see `interruptible_cmd`).
_INTERRUPTIBLE = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('cautious', run_name='__main__', alter_sys=True)"
)


def interruptible_cmd(*args) -> list[str]:
    """`cautious ...` as a foreground job in a terminal gets it: SIGINT raises KeyboardInterrupt.

    A child inherits an *ignored* SIGINT, and Python keeps it ignored. A shell that runs a
    job in the background without job control (`make test &` in a script, CI runners, nohup
    wrappers) ignores SIGINT in it, so under such a suite the Ctrl-C test's SIGINT was simply
    dropped: the client went on waiting on its held requests and exited 0 once they were
    released. That is the right behaviour for cautious (a job started immune to Ctrl-C stays
    so), so the test, not cautious, restores the handler a user's terminal would give it."""
    return [sys.executable, "-c", _INTERRUPTIBLE, *[str(a) for a in args]]


def run_cli(*args, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """A real `python -m cautious` process (for kills, and to see exactly what a user sees)."""
    return subprocess.run(cautious_cmd(*args), capture_output=True, text=True, env=env or cli_env(), cwd=ROOT, timeout=timeout)


def invoke(*args) -> subprocess.CompletedProcess:
    """The same command in this process (no interpreter start-up: keeps the suite fast)."""
    from typer.testing import CliRunner

    from cautious.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "200"})
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def teacher_args(base_url: str, out: Path, *more) -> list[str]:
    return ["generate", "--teacher", "openai:lab-teacher", "--base-url", base_url, "--out", out, *more]


def read_jsonl(path: Path) -> list[dict]:
    """Complete lines only (a file being written may end mid-line)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines(keepends=True):
        if line.endswith("\n") and line.strip():
            out.append(json.loads(line))
    return out


def call_signatures(records: list[dict]) -> set[str]:
    """The messages of every call of these records: what the server would see again."""
    return {json.dumps(c["messages"], sort_keys=True) for r in records for c in r["calls"]}


def request_signature(req: dict) -> str:
    return json.dumps(req["body"]["messages"], sort_keys=True)

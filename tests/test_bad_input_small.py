"""Class 8: the small things a careful user notices. Outputs follow the umask (not 0600);
a 5 MB line does not stall `tasks show`; a corrupt request cache is one line with no aiohttp
noise after it; the README says exactly what a killed `generate` re-sends."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest

from cautious.jsonl import atomic_writer
from tests.fake_openai_server import FakeOpenAIServer
from tests.teacher_cli import ROOT, cli_env, run_cli, teacher_args


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_outputs_follow_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        with atomic_writer(tmp_path / "out.json") as fh:
            fh.write("{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) == mode


def test_a_rewritten_output_keeps_its_mode(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old\n")
    path.chmod(0o640)
    with atomic_writer(path) as fh:
        fh.write("new\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text() == "new\n"


def test_generate_and_erase_outputs_follow_the_umask(cli, tmp_path):
    old = os.umask(0o002)
    try:
        assert cli("generate", "-t", "arithmetic", "-s", "direct-answer", "-n", 2, "--out", tmp_path / "a.jsonl")[0] == 0
        assert cli("erase", tmp_path / "a.jsonl", "--out", tmp_path / "t.jsonl")[0] == 0
    finally:
        os.umask(old)
    for name in ("a.jsonl", "a.stats.json", "t.jsonl"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o664, name


def test_a_huge_line_in_tasks_show_is_clipped_not_laid_out(cli, tmp_path):
    task = tmp_path / "big.jsonl"
    task.write_text(json.dumps({"input": "x " * 2_500_000, "target": "1", "split": "train"}) + "\n")
    started = time.process_time()  # CPU seconds, not wall: a busy machine must not fail this
    code, out, err = cli("tasks", "show", task, "-n", 1)
    assert code == 0, err
    assert time.process_time() - started < 10  # laid out whole, this took ~10 s; 10x the line, minutes
    assert "4,996,000 more characters not shown" in out and len(out) < 20_000


def test_a_corrupt_cache_is_one_line_without_unclosed_connector_noise(tmp_path):
    (tmp_path / "a.cache.sqlite").write_bytes(b"this is not sqlite" * 100)
    with FakeOpenAIServer(lifetime=60) as srv:
        r = run_cli(*teacher_args(srv.base_url, tmp_path / "a.jsonl", "-t", "comparison", "-s", "direct-answer", "-n", 2),
                    env=cli_env(PYTHONWARNINGS="default", PYTHONASYNCIODEBUG="1"))
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert "a.cache.sqlite: not a readable cautious request cache" in lines[0]
    assert "Unclosed" not in r.stderr + r.stdout


def test_the_readme_says_precisely_what_a_killed_run_sends_again():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "without re-sending or duplicating anything" not in readme
    assert "requests that were in flight" in readme and "never duplicates" in readme

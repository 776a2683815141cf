"""Class 1: an output path the OS refuses is one line — the path and the reason — with exit 2,
found before any expensive work starts, in every command that writes."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys

import pytest

from cautious.paths import os_error_line
from tests._bad_input import refused, snapshot, workspace
from tests.teacher_cli import ROOT, cli_env

# A probe or model that cannot be loaded: if the output were checked after loading it, the
# message would be about the model. So each case also proves the order of the checks.
NO_MODEL = "hf:/no/such/model/folder"

PARENT_IS_A_FILE = [
    ("generate", ["generate", "-t", "arithmetic", "-s", "direct-answer", "-n", 2, "--out", "{d}/afile/a.jsonl"]),
    ("erase", ["erase", "{d}/answers.jsonl", "--out", "{d}/afile/t.jsonl"]),
    ("merge", ["merge", "{d}/answers.jsonl", "--out", "{d}/afile/m.jsonl"]),
    ("select", ["select", "--probe", NO_MODEL, "-t", "arithmetic", "-n", 2, "--out", "{d}/afile/sel"]),
    ("eval", ["eval", "-m", NO_MODEL, "-t", "arithmetic", "-n", 2, "--out", "{d}/afile/ev"]),
    ("train", ["train", "--data", "{d}/train.jsonl", "--model", NO_MODEL.removeprefix("hf:"), "-o", "{d}/afile/model"]),
    ("report", ["report", "{d}/folder", "--out", "{d}/afile/rep"]),
    ("run", ["run", "--preset", "smoke", "--out", "{d}/afile/run"]),
]


@pytest.mark.parametrize("args", [a for _, a in PARENT_IS_A_FILE], ids=[c for c, _ in PARENT_IS_A_FILE])
def test_an_output_under_a_file_is_one_line_before_any_work(cli, tmp_path, args):
    workspace(tmp_path)
    refused(cli, tmp_path, args, "cannot write there: {d}/afile is a file, not a folder")


WRONG_KIND = [
    ("generate-out-is-a-folder", ["generate", "-t", "arithmetic", "-s", "direct-answer", "-n", 2, "--out", "{d}/folder"],
     "{d}/folder: is a folder; --out names a file"),
    ("erase-out-is-a-folder", ["erase", "{d}/answers.jsonl", "--out", "{d}/folder"], "{d}/folder: is a folder; --out names a file"),
    ("merge-out-is-a-folder", ["merge", "{d}/answers.jsonl", "--out", "{d}/folder"], "{d}/folder: is a folder; --out names a file"),
    ("generate-cache-is-a-folder", ["generate", "-t", "arithmetic", "-s", "direct-answer", "--cache", "{d}/folder", "--out", "{d}/a.jsonl"],
     "{d}/folder: is a folder; --cache names a file"),
    ("select-out-is-a-file", ["select", "--probe", NO_MODEL, "-t", "arithmetic", "--out", "{d}/afile"],
     "{d}/afile: exists and is not a folder (--out names a folder)"),
    ("eval-out-is-a-file", ["eval", "-m", NO_MODEL, "-t", "arithmetic", "--out", "{d}/afile"],
     "{d}/afile: exists and is not a folder (--out names a folder)"),
    ("train-out-is-a-file", ["train", "--data", "{d}/train.jsonl", "-o", "{d}/afile"],
     "{d}/afile: exists and is not a folder (--output-dir names a folder)"),
    ("report-out-is-a-file", ["report", "{d}/folder", "--out", "{d}/afile"], "{d}/afile: exists and is not a folder"),
    ("run-out-is-a-file", ["run", "--preset", "smoke", "--out", "{d}/afile"], "{d}/afile: exists and is not a folder"),
    ("generate-out-is-a-device", ["generate", "-t", "arithmetic", "-s", "direct-answer", "--out", "/dev/null"],
     "/dev/null: is not a regular file"),
]


@pytest.mark.parametrize("args, message", [(a, m) for _, a, m in WRONG_KIND], ids=[c for c, _, _ in WRONG_KIND])
def test_an_output_of_the_wrong_kind_is_one_line(cli, tmp_path, args, message):
    workspace(tmp_path)
    refused(cli, tmp_path, args, message)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder")
@pytest.mark.parametrize("args", [a for _, a in PARENT_IS_A_FILE], ids=[c for c, _ in PARENT_IS_A_FILE])
def test_an_output_in_a_folder_without_write_permission_is_one_line(cli, tmp_path, args):
    workspace(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        refused(cli, tmp_path, [str(a).replace("{d}/afile", "{d}/locked") for a in args], "cannot write in", "Permission denied")
    finally:
        os.chmod(locked, 0o755)


def _no_bigger_files_than(limit: int):
    def apply() -> None:  # a full disk, as the process sees it: writes past `limit` bytes fail
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


FULL_DISK = [
    ("erase", ["erase", "{d}/answers.jsonl", "--out", "{d}/out/t.jsonl"], "{d}/out/t.jsonl: File too large"),
    ("generate", ["generate", "-t", "arithmetic", "-s", "step-by-step", "-n", 40, "--out", "{d}/out/a.jsonl"],
     "{d}/out/a.jsonl: File too large"),
]


@pytest.mark.parametrize("args, message", [(a, m) for _, a, m in FULL_DISK], ids=[c for c, _, _ in FULL_DISK])
def test_a_disk_that_fills_up_mid_write_is_one_line_and_loses_nothing(tmp_path, args, message):
    workspace(tmp_path)
    before = snapshot(tmp_path)
    cmd = [sys.executable, "-m", "cautious", *[str(a).replace("{d}", str(tmp_path)) for a in args]]
    r = subprocess.run(cmd, capture_output=True, text=True, env=cli_env(), cwd=ROOT, timeout=120,
                       preexec_fn=_no_bigger_files_than(1500))
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(lines) == 1, r.stderr
    assert message.replace("{d}", str(tmp_path)) in lines[0]
    assert {k: v for k, v in snapshot(tmp_path).items() if k in before} == before  # inputs untouched
    assert not list((tmp_path / "out").glob(".*.tmp"))  # no half-written temp file left behind


def test_an_os_error_on_cautious_own_files_is_a_bug_and_keeps_its_traceback():
    import cautious

    ours = FileNotFoundError(2, "No such file or directory", os.path.join(os.path.dirname(cautious.__file__), "missing.yaml"))
    assert os_error_line(ours) is None
    assert os_error_line(PermissionError(13, "Permission denied", "/data/out.jsonl")) == "/data/out.jsonl: Permission denied"
    assert os_error_line(OSError(28, "No space left on device")) == "No space left on device (writing an output)"
    assert os_error_line(ConnectionResetError(104, "Connection reset by peer")) is None  # not a path: a traceback

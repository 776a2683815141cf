"""Shared test helpers: a scripted chat model and the CLI runner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cautious.models.base import ChatModel, Completion, SamplingParams
from cautious.records import Message


class ScriptedModel(ChatModel):
    """A chat model that answers from a function of the conversation; records what it saw."""

    def __init__(self, reply, name: str = "scripted") -> None:
        self.reply = reply
        self.name = name
        self.seen: list[list[Message]] = []

    def chat(self, batch: list[list[Message]], params: SamplingParams) -> list[Completion]:
        self.seen.extend(batch)
        return [Completion(text=self.reply(msgs), completion_tokens=3, prompt_tokens=5, model=self.name) for msgs in batch]


@pytest.fixture(scope="session", autouse=True)
def cautious_cache_dir(tmp_path_factory):
    """What cautious builds once per machine (dequantized packaged models) goes to a folder of
    this test session, not the user's ~/.cache; within the session it is built once."""
    import os

    folder = tmp_path_factory.mktemp("cautious-cache")
    old = os.environ.get("CAUTIOUS_CACHE_DIR")
    os.environ["CAUTIOUS_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("CAUTIOUS_CACHE_DIR", None)
    else:
        os.environ["CAUTIOUS_CACHE_DIR"] = old


@pytest.fixture
def tiny_run(tmp_path):
    """A copy of tests/fixtures/tiny_run.yaml (the smallest whole `cautious run`) in this
    test's folder, as `tiny.yaml`: one definition, so the tests that run it cannot drift."""
    import shutil
    from pathlib import Path

    return Path(shutil.copy(Path(__file__).parent / "fixtures" / "tiny_run.yaml", tmp_path / "tiny.yaml"))


@pytest.fixture
def cli():
    """Invoke `cautious ...` in-process; returns (exit code, stdout, stderr)."""
    from cautious.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke

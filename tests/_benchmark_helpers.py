"""Offline fixtures for the `test_benchmark*` files: every loader reads tests/fixtures/benchmarks.

Every loader reads its fixture from $CAUTIOUS_DATA_DIR/<task>/ (rows invented, formats real);
the Hub is never contacted: `read_hub` fails the test if called (tests of the online path put
a stand-in `datasets` module in its place).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cautious.tasks import get_task
from cautious.tasks.benchmarks import DATA_DIR_ENV, BenchmarkTask

FIXTURES = Path(__file__).parent / "fixtures" / "benchmarks"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(FIXTURES))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def no_hub(self, split):
        raise AssertionError(f"{self.name}: tried to reach the Hugging Face Hub in an offline test")

    monkeypatch.setattr(BenchmarkTask, "read_hub", no_hub)


def load(name: str, split: str = "test"):
    (task,) = get_task(name)
    return task.examples(split)

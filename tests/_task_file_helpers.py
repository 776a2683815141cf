"""Fixtures and checks shared by the `test_task_file*` files: files as tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from cautious.errors import UserError
from cautious.tasks.base import tasks_from_path
from cautious.tasks.files import FileTask

FIXTURES = Path(__file__).parent / "fixtures"
BB = FIXTURES / "bigbench"
USER = FIXTURES / "user_tasks"
BAD = USER / "bad"


def one(path: Path) -> FileTask:
    tasks = tasks_from_path(path)
    assert len(tasks) == 1
    assert isinstance(tasks[0], FileTask)
    return tasks[0]


def raises(path: Path, *fragments: str) -> str:
    """Loading `path` fails with one UserError whose message holds every fragment."""
    with pytest.raises(UserError) as info:
        tasks_from_path(path)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in {msg!r}"
    assert "\n" not in msg
    return msg

"""One writer per output: an exclusive lock that a second process is refused by, in one line.

Why: `generate` appends answers to its output as they arrive and `eval` appends records to its
run folder; both resume by reading back what is there. Two processes on the same output both
read "nothing done yet", both send every request, and both append — the same example twice
(measured before this lock: 79 duplicated ids out of 150). The second writer must be stopped
before it sends anything.

How: `fcntl.flock` on a small lock file beside the output (`.NAME.lock`), named after the
*resolved* output: two runs that reach one file through different names (a symlink, a symlinked
folder, `./a/../ans.jsonl`) both ran and paid every teacher request twice when the lock followed
the name given. An output that already exists is also locked by its inode, which catches what
a path cannot (a hard link, a bind mount). The kernel drops the
lock when its process dies, however it dies (SIGKILL included), so a crashed run never leaves
a stale lock behind. The file holds the owner's pid, for the message. It is removed on a clean
release; a process that takes the lock checks that the file it locked is still the one at that
path (a releasing process may have just unlinked it), and retries if not.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cautious.errors import UserError


def lock_path(target: str | Path, folder: bool = False) -> Path:
    """The lock file of an output folder (`.lock` in it) or file (`.NAME.lock` beside it),
    after every symlink on the way is resolved: one lock per real file, whatever its name."""
    target = Path(os.path.realpath(target))
    return target / ".lock" if folder else target.with_name(f".{target.name}.lock")


@contextmanager
def exclusive(target: str | Path, command: str, folder: bool = False) -> Iterator[None]:
    """Hold the only write lock on `target` for the block; refuse at once if another has it."""
    target = Path(target)
    path = lock_path(target, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _read_pid(fd)
            os.close(fd)
            who = f" (pid {owner})" if owner else ""
            raise UserError(
                f"{_named(target)}: another `cautious {command}` is writing it{who}; wait for it to finish, "
                f"or give this one another output"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # locked a file that was just removed; lock the one now at the path
    inode = -1
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        inode = _lock_inode(target, command)
        yield
    finally:
        if inode >= 0:
            os.close(inode)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        os.close(fd)


def _named(target: Path) -> str:
    """The output as the user named it, and the real file when that name is an alias."""
    real = os.path.realpath(target)
    return str(target) if real == os.path.abspath(target) else f"{target} (= {real})"


def _lock_inode(target: Path, command: str) -> int:
    """Lock the existing output itself (-1 if it does not exist yet): a second name for the same
    inode that no path shows, such as a hard link, holds the same lock."""
    try:
        fd = os.open(target, os.O_RDONLY)
    except OSError:
        return -1
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise UserError(f"{_named(target)}: another `cautious {command}` is writing it under another name; wait for it to finish, "
                        f"or give this one another output") from None
    return fd


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""

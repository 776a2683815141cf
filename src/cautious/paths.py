"""The paths a user names: read them, check where outputs go, and word every failure alike.

Why one module: every command reads user files and writes user outputs, and the operating
system can refuse either in many ways — a folder where a file was meant, a parent that is a
file, no permission, a read-only or full disk, bytes that are not UTF-8. Three rules follow:

- Outputs are checked *before* any expensive work (a teacher run, a probe measurement,
  training), so a typo in `--out` costs a second, not the hour of work before the write.
- An output may never be one of the inputs (compared after resolving symbolic links, and by
  inode for hard links): writing it would destroy the data it is made from.
- What no check can foresee (the disk filling up mid-run) reaches the CLI as an `OSError`
  that names its path (`naming`), and `os_error_line` turns it into the one line
  `cautious.cli` prints. An `OSError` on one of cautious's own files is a bug and keeps its
  traceback.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cautious.errors import UserError

PACKAGE_DIR = Path(__file__).resolve().parent
#: Errors without a file name that still mean "the user's disk", not a bug in cautious.
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}


# --------------------------------------------------------------------------- reading


def read_text(path: str | Path, what: str = "file") -> str:
    """A user's text file, whole; missing, a folder or not UTF-8 is one line naming it."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: {what} not found")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a {what}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(path, data.count(b"\n", 0, exc.start) + 1) from None
    return text.removeprefix("\ufeff")


def text_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line of a large file, streamed; bytes that are not UTF-8
    are one line naming the file and the line (decoding the whole stream would lose it)."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                yield lineno, raw.decode("utf-8")
            except UnicodeDecodeError:
                raise not_utf8(path, lineno) from None


def not_utf8(path: str | Path, line: int) -> UserError:
    """The message for bytes that are not UTF-8, naming the file and the line."""
    return UserError(f"{path}:{line}: not UTF-8 text")


# --------------------------------------------------------------------------- writing


def _probe_folder(target: Path, folder: Path) -> None:
    """Can files be created in `folder` (which may not exist yet)? Ask the OS, not the mode
    bits: a read-only file system or a full disk are only seen by trying, and root passes
    every permission check. The probe is an unnamed temporary file, gone when closed."""
    p = Path(os.path.abspath(folder))
    while not p.exists():
        if p.is_symlink():
            raise UserError(f"{target}: cannot write there: {p} is a broken symbolic link")
        p = p.parent
    if not p.is_dir():
        raise UserError(f"{target}: cannot write there: {p} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=p):
            pass
    except OSError as exc:
        raise UserError(f"{target}: cannot write in {p} ({exc.strerror or exc})") from None
    try:
        st = os.statvfs(p)
    except OSError:
        return
    free = st.f_bfree if os.geteuid() == 0 else st.f_bavail
    if free == 0:
        raise UserError(f"{target}: cannot write in {p} ({os.strerror(errno.ENOSPC)})")


def check_output_file(path: str | Path, option: str = "--out") -> Path:
    """`path` can be written as a file: not a folder or device, in a folder we may write in."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder; {option} names a file")
    if path.exists() and not path.is_file():
        raise UserError(f"{path}: is not a regular file (a device, pipe or socket); {option} names a file")
    _probe_folder(path, path.parent)
    if path.exists() and not os.access(path, os.W_OK):
        raise UserError(f"{path}: cannot write it ({os.strerror(errno.EACCES)})")
    return path


def check_output_dir(path: str | Path, option: str = "--out") -> Path:
    """`path` is, or can be created as, a folder we may write in."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: exists and is not a folder ({option} names a folder)")
    _probe_folder(path, path)
    return path


def same_file(a: str | Path, b: str | Path) -> bool:
    """One file under two names: equal after resolving symlinks, or the same inode."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass
    return Path(a).resolve() == Path(b).resolve()


def check_cache_path(cache: str | Path, outputs: Iterable[str | Path], option: str = "--cache",
                     folder: str | Path | None = None) -> Path:
    """A request cache can be written and is none of the run's outputs: one path for both
    would have the output written over the cache (or the cache over the output). Nor is it the
    run's output `folder`: the cache, opened first, would take the folder's name as an SQLite
    file, and the run then failed on "File exists" and left that file behind."""
    if folder is not None and same_file(cache, folder):
        raise UserError(f"{cache}: is also the run folder (--out); give {option} a file of its own, e.g. {Path(folder)}.cache.sqlite")
    cache = check_output_file(cache, option)
    for out in outputs:
        if same_file(cache, out):
            raise UserError(f"{cache}: is also an output of this run ({Path(out).name}); give {option} another path")
    return cache


def refuse_overwriting_inputs(outputs: Iterable[str | Path], inputs: Iterable[str | Path]) -> None:
    """An output that is also an input would destroy the data it is made from."""
    inputs = [Path(p) for p in inputs]
    for out in outputs:
        for inp in inputs:
            if same_file(out, inp):
                shown = "" if str(inp) == str(out) else f" ({inp})"
                raise UserError(f"{out}: is also an input{shown}; write the output to another path")


def umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode(path: Path) -> int:
    """The mode a rewritten file should get: its current one, else 0666 less the umask, as
    `open()` would give a new file (`mkstemp` alone makes every output private, 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~umask()


# --------------------------------------------------------------------------- OS errors


@contextmanager
def naming(path: str | Path) -> Iterator[None]:
    """Attach `path` to an `OSError` raised without a file name (a `write` on a full disk),
    so the one line the user sees says which file could not be written."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc


def os_error_line(exc: OSError) -> str | None:
    """One line for an OSError on the user's paths or disk; None for one that is a bug."""
    reason = exc.strerror or str(exc)
    if exc.filename is not None:
        name = os.fsdecode(exc.filename)
        try:
            ours = Path(name).resolve().is_relative_to(PACKAGE_DIR)
        except (OSError, ValueError):
            ours = False
        if ours:
            return None
        other = f" → {os.fsdecode(exc.filename2)}" if exc.filename2 is not None else ""
        return f"{name}{other}: {reason}"
    if exc.errno in DISK_ERRNOS:
        return f"{reason} (writing an output)"
    return None

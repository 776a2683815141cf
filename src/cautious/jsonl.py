"""JSON Lines in and out, with the two guarantees every stage relies on.

Reading: a malformed line or a record that fails validation stops with one message naming
`file:line:field`. Writing: output goes to a temporary file in the same folder and is renamed
into place only when complete, so a crash never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TypeVar

from pydantic import BaseModel, ValidationError

from cautious.errors import UserError
from cautious.paths import naming, new_file_mode, text_lines
from cautious.records import SCHEMA_VERSION, Record

R = TypeVar("R", bound=BaseModel)


def describe_validation_error(err: ValidationError) -> str:
    """The first problem of a pydantic error as `field: message`."""
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(record)"
    msg = first["msg"]
    if first["type"] == "missing":
        msg = "missing field"
    return f"{field}: {msg}"


def iter_json_objects(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line; bad JSON is a UserError."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a JSONL file")
    for lineno, line in text_lines(path):
        if line.strip():
            yield lineno, parse_object(path, lineno, line)


def parse_object(path: str | Path, lineno: int, line: str) -> dict:
    """One JSONL line as a JSON object; anything else is one `FILE:LINE: ...` UserError."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{lineno}: malformed JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise UserError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
    return obj


def parse_record(path: str | Path, lineno: int, line: str | dict, model: type[R]) -> R:
    """One line as a `model` record: its schema version must be one the model reads (a
    `Record`'s `READS`), and it must validate; anything else is one `FILE:LINE:field` error."""
    obj = parse_object(path, lineno, line) if isinstance(line, str) else line
    reads = model.READS if issubclass(model, Record) else (SCHEMA_VERSION,)
    version = obj.get("schema_version", reads[-1])
    if version not in reads:
        raise UserError(
            f"{path}:{lineno}:schema_version: file was written with schema {version}, "
            f"this cautious reads schema {' or '.join(map(str, reads))}"
        )
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        raise UserError(f"{path}:{lineno}:{describe_validation_error(exc)}") from None


def read_records(path: str | Path, model: type[R]) -> list[R]:
    """Read a JSONL file of `model` records, failing on the first bad line with file:line:field."""
    return [parse_record(path, lineno, obj, model) for lineno, obj in iter_json_objects(path)]


@contextmanager
def atomic_writer(path: str | Path, mode: str = "w") -> Iterator[IO]:
    """Open a temp file next to `path`; rename it over `path` only if the block succeeds.

    The file gets the mode `open()` would give it (the umask's, or the old file's), not
    `mkstemp`'s private 0600; an OS error while writing names `path`, not the temp file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode_bits = new_file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with naming(path):
            os.fchmod(fd, mode_bits)
            with os.fdopen(fd, mode, encoding="utf-8") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def dump_record(record: BaseModel) -> str:
    return json.dumps(record.model_dump(mode="json"), ensure_ascii=False)


def write_records(path: str | Path, records: Iterable[BaseModel]) -> int:
    """Write records atomically; returns how many were written."""
    n = 0
    with atomic_writer(path) as fh:
        for record in records:
            fh.write(dump_record(record) + "\n")
            n += 1
    return n

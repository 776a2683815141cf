"""The append log under generate and eval: a torn tail is cut (found from the end of the file,
not by reading it whole), a whole last record that only lacks its newline is kept, a reader
leaves the file alone, and failed records are asked again."""

from __future__ import annotations

import json

import pytest

from cautious.append_log import AppendLog, last_line_start, read_log
from cautious.errors import UserError
from cautious.records import Example


class ExampleLog(AppendLog[Example]):
    model = Example

    def key(self, record):
        return record.id

    def retry(self, record):
        return record.meta.get("failed", False)


def _ex(i: int, **meta) -> Example:
    return Example(id=f"e{i}", task="t", input="x" * 10, target=str(i), meta=meta)


def _line(ex: Example) -> str:
    return json.dumps(ex.model_dump(mode="json")) + "\n"


@pytest.mark.parametrize("tail_bytes", [20, 200_000])  # within the first backwards chunk, and far beyond it
def test_a_torn_last_line_is_cut_and_the_rest_kept(tmp_path, tail_bytes):
    path = tmp_path / "log.jsonl"
    whole = "".join(_line(_ex(i)) for i in range(3))
    torn = _line(_ex(3, pad="p" * tail_bytes))[: tail_bytes // 2]
    path.write_text(whole + torn)
    assert last_line_start(path) == len(whole.encode())
    assert [e.id for e in read_log(path, Example)] == ["e0", "e1", "e2"]
    assert path.read_text() == whole + torn  # reading changes nothing
    log = ExampleLog(path)
    log.load()
    assert path.read_text() == whole and log.keys == {"e0", "e1", "e2"}


def test_a_whole_last_record_without_its_newline_is_kept(tmp_path):
    path = tmp_path / "log.jsonl"
    text = _line(_ex(0)) + _line(_ex(1)).rstrip("\n")
    path.write_text(text)
    assert [e.id for e in read_log(path, Example)] == ["e0", "e1"]
    log = ExampleLog(path)
    log.load()
    assert path.read_text() == text + "\n" and "e1" in log


def test_failed_records_are_dropped_for_retry_and_the_file_is_put_in_work_order(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(_line(_ex(1)) + _line(_ex(0, failed=True)) + _line(_ex(1)))  # a duplicate from an older tool
    log = ExampleLog(path)
    log.load()
    assert log.dropped_retry == 1 and log.keys == {"e1"}
    assert log.append([_ex(0), _ex(1)]) == 1  # e1 is there already
    log.finalize({"e0": 0, "e1": 1})
    assert [e.id for e in read_log(path, Example)] == ["e0", "e1"]


def test_a_bad_line_inside_the_file_names_file_and_line(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(_line(_ex(0)) + '{"id": "e1"}\n' + _line(_ex(2)))
    with pytest.raises(UserError, match=r"log\.jsonl:2:"):
        read_log(path, Example)

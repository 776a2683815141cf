"""Where a benchmark's rows come from: the Hugging Face Hub when online, local files offline.

Every loader in this package is a `BenchmarkTask`: it names the public dataset (`hf_id`, its
configs, the source split behind each of our splits) and turns one source row into an
`Example`. This module does the fetching, the same way for all of them:

1. `path=` given to the task: read that file or folder (it must exist).
2. `$CAUTIOUS_DATA_DIR/<task name>/` exists: read it.
3. Otherwise `datasets.load_dataset(hf_id, config, split=...)` for each config.

Local files have the source's own format: the Hub's parquet layout (`<config>/<split>-*.parquet`)
or the same columns as JSON Lines / CSV, or the original release files where a benchmark has
them (BIG-bench task.json, the BBH repo's JSON, AGIEval's JSONL, ...). Files are read with the
standard library (and pyarrow for parquet) rather than `datasets.load_dataset("json", ...)`:
that gives `file:line` in every error, writes no cache copy next to big files, and never
touches the network. A missing or malformed file is one `UserError` naming the path, the
expected format and the Hub id to use when online.
"""

from __future__ import annotations

import csv
import json
import os
import random
from abc import abstractmethod
from pathlib import Path
from typing import Any

from cautious.errors import UserError
from cautious.jsonl import iter_json_objects
from cautious.records import Example
from cautious.task import Task

DATA_DIR_ENV = "CAUTIOUS_DATA_DIR"
EXTENSIONS = (".parquet", ".jsonl", ".json", ".csv")

Row = dict[str, Any]


class BenchmarkTask(Task):
    """A public benchmark: rows from the Hub or from local files, turned into `Example`s.

    Subclasses set `name`, `hf_id`, `configs` (one per subset; `(None,)` for none),
    `split_map` (our split -> the source's split names, the first being the Hub split) and
    `local_format` (one line for error messages), and implement `to_example`.
    """

    hf_id: str = ""
    configs: tuple[str | None, ...] = (None,)
    split_map: dict[str, tuple[str, ...]] = {"test": ("test",)}
    local_format: str = ""
    #: Extra words for the "could not download" message (e.g. a gated dataset's terms).
    hub_note: str = ""
    metric: str = "exact_match"

    def __init__(self, path: str | Path | None = None, subsets: list[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        if subsets is not None:
            unknown = [s for s in subsets if s not in self.configs]
            if unknown:
                raise UserError(
                    f"{self.name}: unknown subset(s) {', '.join(unknown)}; valid: {', '.join(map(str, self.configs))}"
                )
        self.subsets: tuple[str | None, ...] = tuple(subsets) if subsets else self.configs
        self._cache: dict[str, list[Example]] = {}
        self.missing_subsets: list[str] = []

    @property
    def splits(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self.split_map)

    @property
    def source(self) -> str:  # type: ignore[override]
        """Where the rows come from: a local path, or the Hub id."""
        local = self.local_path()
        return f"local:{local}" if local is not None else f"hf:{self.hf_id}"

    # -- what subclasses provide -----------------------------------------------------------
    @abstractmethod
    def to_example(self, row: Row, split: str) -> Example | None:
        """One source row as an Example (None skips the row, e.g. MS MARCO's unanswerable)."""

    def rows_from_json(self, data: Any, path: Path) -> list[Row]:
        """Rows of a `.json` file: a list of rows, or an object holding one (`examples`, `data`)."""
        if isinstance(data, list):
            return data
        if isinstance(data, dict):
            for key in ("examples", "data", "rows"):
                if isinstance(data.get(key), list):
                    return data[key]
        raise UserError(self.format_error(path, "expected a list of rows or an object with `examples`/`data`"))

    def subset_dirs(self, subset: str) -> list[str]:
        """Folder names that hold one subset's files locally (the Hub config name by default)."""
        return [subset]

    # -- examples ----------------------------------------------------------------------------
    def examples(self, split: str = "test", n: int | None = None, seed: int = 0) -> list[Example]:
        """All examples of `split` in source order, or `n` of them chosen by a seeded shuffle."""
        self.check_split(split)
        if n is not None and n < 0:
            raise UserError(f"task {self.name!r}: cannot take {n} examples")
        if split not in self._cache:
            self._cache[split] = self._build(split)
        pool = list(self._cache[split])
        if n is not None:
            random.Random(f"{self.name}|{split}|{seed}").shuffle(pool)
            pool = pool[:n]
        return [e.model_copy(deep=True) for e in pool]

    def _build(self, split: str) -> list[Example]:
        out: list[Example] = []
        seen: dict[str, int] = {}
        for row in self.load_rows(split):
            try:
                ex = self.to_example(row, split)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
                what = f"missing field {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
                raise UserError(self.format_error(row["_where"], f"{what}")) from None
            if ex is None:
                continue
            count = seen.get(ex.id, 0) + 1
            seen[ex.id] = count
            if count > 1:  # keep duplicates, with ids that stay unique
                ex.id = f"{ex.id}#{count}"
            out.append(ex)
        if not out:
            raise UserError(f"{self.name}: no examples in split {split!r} ({self._where_from()})")
        return out

    def make(self, row: Row, split: str, key: str, **fields: Any) -> Example:
        """An Example with the id `task/key` and provenance (source, subset, split, row) in meta."""
        meta = {"source": row["_source"], "split": row["_split"], "row": row["_index"]}
        if row.get("_subset") is not None:
            meta["subset"] = row["_subset"]
        meta.update(fields.pop("meta", {}))
        return Example(
            id=f"{self.name}/{key}", task=self.name, metric=fields.pop("metric", self.metric), meta=meta, **fields
        )

    # -- rows --------------------------------------------------------------------------------
    def local_path(self) -> Path | None:
        """The task's `path`, else `$CAUTIOUS_DATA_DIR/<task>` when that exists, else None (the Hub)."""
        if self.path is not None:
            return self.path
        data_dir = os.environ.get(DATA_DIR_ENV)
        if data_dir and (Path(data_dir) / self.name).exists():
            return Path(data_dir) / self.name
        return None

    def local_root(self) -> Path | None:
        root = self.local_path()
        if root is not None and not root.exists():
            raise UserError(self.format_error(root, "file or folder not found"))
        return root

    def _where_from(self) -> str:
        root = self.local_root()
        return str(root) if root is not None else f"{self.hf_id} on the Hugging Face Hub"

    def load_rows(self, split: str) -> list[Row]:
        root = self.local_root()
        return self.read_local(root, split) if root is not None else self.read_hub(split)

    def hub_sources(self) -> list[tuple[str, str | None, str | None]]:
        """(Hub dataset id, config, subset name) to load: one per subset by default."""
        return [(self.hf_id, config, config) for config in self.subsets]

    def hub_splits(self, split: str) -> tuple[str, ...]:
        """The Hub split(s) behind one of our splits: the first name in `split_map`."""
        return self.split_map[split][:1]

    def read_hub(self, split: str) -> list[Row]:
        try:
            import datasets
        except ImportError:
            raise UserError(
                f"{self.name}: loading {self.hf_id} needs the `datasets` package (pip install datasets), "
                f"or local files: {self.offline_hint()}"
            ) from None
        rows: list[Row] = []
        for hf_id, config, subset in self.hub_sources():
            for hub_split in self.hub_splits(split):
                try:
                    ds = load_hub_split(datasets, hf_id, config, hub_split)
                except Exception as exc:  # network, auth, missing config: all the same to the user
                    what = hf_id + (f" (config {config})" if config else "") + f" split {hub_split}"
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    note = f" {self.hub_note}" if self.hub_note else ""
                    raise UserError(
                        f"{self.name}: could not load {what} from the Hugging Face Hub ({type(exc).__name__}: "
                        f"{first[:200]}).{note} Offline, use local files: {self.offline_hint()}"
                    ) from None
                for i, row in enumerate(ds):
                    row = dict(row)
                    row.update(
                        _source=f"hf:{hf_id}",
                        _subset=subset,
                        _split=hub_split,
                        _index=i,
                        _where=f"{hf_id}[{config or 'default'}/{hub_split}] row {i}",
                    )
                    rows.append(row)
        return rows

    def read_local(self, root: Path, split: str) -> list[Row]:
        rows: list[Row] = []
        missing: list[str] = []
        names = self.split_map[split]
        # A single file is read once, whatever the subsets: it is one subset's data, or rows of
        # several (told apart by a column, e.g. MMLU's `subject`, ACI-BENCH's `dataset`).
        plan = [(self.subset_of_file(root), [root])] if root.is_file() else None
        for subset, files in plan or [(s, self.local_files(root, s, names)) for s in self.subsets]:
            if not files:
                missing.append(str(subset))
                continue
            for path in files:
                try:
                    file_rows = self.read_file(path)
                except (KeyError, TypeError, ValueError, IndexError, AttributeError, OSError, csv.Error) as exc:
                    what = f"missing field {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
                    raise UserError(self.format_error(path, f"unexpected structure ({what})")) from None
                source_split = self.local_split(path, names)
                for i, row in enumerate(file_rows):
                    row.update(
                        _source=str(path), _subset=subset, _split=source_split, _index=i, _where=f"{path}: row {i + 1}"
                    )
                    rows.append(row)
        #: Subsets with no local files (offline, the subsets present are the ones used).
        self.missing_subsets = missing
        if not rows:
            wanted = "/".join(names)
            raise UserError(
                f"{root}: no {wanted} data for {self.name} there; expected {self.local_format}. "
                f"Online, cautious loads {self.hf_id} instead (leave {DATA_DIR_ENV} unset or remove that folder)"
            )
        return rows

    def local_split(self, path: Path, names: tuple[str, ...]) -> str:
        """The source split a local file's rows record in meta["split"]: the Hub's name for it
        (the first of `names`) unless a loader knows better."""
        return names[0]

    def subset_of_file(self, path: Path) -> str | None:
        """The subset a lone file holds: the only one selected, or the one it is named after
        (`date_understanding.json`, `lsat-ar.jsonl`); None when it may hold several."""
        if len(self.subsets) == 1:
            return self.subsets[0]
        return next((s for s in self.subsets if s is not None and path.stem in self.subset_dirs(s)), None)

    def local_files(self, root: Path, subset: str | None, names: tuple[str, ...]) -> list[Path]:
        """The files of one subset and split under the folder `root`.

        A subset's folder (the Hub config name, e.g. `main/`, `high/`) is searched when there is
        one; a benchmark without subsets is otherwise searched from `root` down. Release layouts
        keep one file per subset named after it (`lsat-ar.jsonl`, `snarks.json`) holding the
        evaluation split only; offline, the subsets present are the ones used.
        """
        if subset is not None:
            for folder in self.subset_dirs(subset):
                if (root / folder).is_dir():
                    return find_split_files(root / folder, names, recursive=True)
        if len(self.configs) == 1:
            return find_split_files(root, names, recursive=True)
        if subset is not None and names == self.split_map.get("test"):
            for stem in self.subset_dirs(subset):
                found = sorted(p for ext in EXTENSIONS for p in root.rglob(f"{stem}{ext}") if p.is_file())
                if found:
                    return found[:1]
        return []

    def read_file(self, path: Path) -> list[Row]:
        suffix = path.suffix.lower()
        try:
            if suffix == ".parquet":
                try:
                    import pyarrow.parquet as pq
                except ImportError:
                    raise UserError(f"{path}: reading parquet needs pyarrow (pip install pyarrow)") from None
                return pq.read_table(path).to_pylist()
            if suffix == ".jsonl":
                try:
                    return [obj for _, obj in iter_json_objects(path)]
                except UserError as exc:  # file:line is in the message; add what was expected
                    raise UserError(f"{exc}; {self.expectation()}") from None
            if suffix == ".json":
                with path.open(encoding="utf-8-sig") as fh:
                    data = json.load(fh)
                rows = self.rows_from_json(data, path)
            elif suffix == ".csv":
                with path.open(encoding="utf-8-sig", newline="") as fh:
                    rows = list(csv.DictReader(fh))
            else:
                raise UserError(self.format_error(path, f"cannot read a {suffix or 'suffix-less'} file"))
        except UserError:
            raise
        except json.JSONDecodeError as exc:
            raise UserError(self.format_error(path, f"malformed JSON at line {exc.lineno} ({exc.msg})")) from None
        except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
            raise UserError(self.format_error(path, f"unreadable ({type(exc).__name__}: {exc})")) from None
        if not all(isinstance(r, dict) for r in rows):
            raise UserError(self.format_error(path, "expected every row to be a JSON object"))
        return [dict(r) for r in rows]

    # -- messages ----------------------------------------------------------------------------
    def offline_hint(self) -> str:
        return f"put them in ${DATA_DIR_ENV}/{self.name}/ ({self.local_format})"

    def expectation(self) -> str:
        return f"{self.name} expects {self.local_format}. Online, cautious loads {self.hf_id} from the Hugging Face Hub instead"

    def format_error(self, where: Path | str, problem: str) -> str:
        return f"{where}: {problem}; {self.expectation()}"


def load_hub_split(datasets: Any, hf_id: str, config: str | None, split: str) -> Any:
    """`datasets.load_dataset(hf_id, config, split=split)`; for a dataset that still ships a
    loading script (which `datasets` >= 4 refuses to run), the Hub's own parquet export of it
    (the `refs/convert/parquet` branch, laid out `<config>/<split>/*.parquet`) instead."""
    try:
        return datasets.load_dataset(hf_id, config, split=split)
    except Exception as exc:
        if "script" not in str(exc).lower():
            raise
    files = f"hf://datasets/{hf_id}@refs%2Fconvert%2Fparquet/{config or 'default'}/{split}/*.parquet"
    return datasets.load_dataset("parquet", data_files={split: files}, split=split)


def find_split_files(folder: Path, names: tuple[str, ...], recursive: bool) -> list[Path]:
    """Data files of a split in a folder, by the naming conventions sources use.

    `test.jsonl`, `test-00000-of-00001.parquet` (the Hub), `ARC-Easy_test.jsonl`,
    `lambada-test.json`, a folder `test/` of files; the first name with any match wins.
    """
    for name in names:
        patterns = [f"{name}.*", f"{name}-*.*", f"*_{name}.*", f"*-{name}.*", f"{name}/*.*"]
        found: set[Path] = set()
        for pattern in patterns:
            matches = folder.rglob(pattern) if recursive else folder.glob(pattern)
            found.update(p for p in matches if p.is_file() and p.suffix.lower() in EXTENSIONS)
        if found:
            return sorted(found)
    return []

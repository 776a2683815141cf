"""`cautious generate` as one typed job: task and teacher specs on top of `GenerateConfig`.

`generate()` takes what a caller already holds (a model, examples grouped by strategy);
`cautious run` calls it that way. The CLI starts from names — tasks, a strategy or strategy
map, a teacher spec — and `prepare` turns a `GenerateJob` into those objects, checking every
input and output path before a request is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, model_validator

from cautious.generate import group_by_strategy
from cautious.generate.config import GenerateConfig
from cautious.generate.strategy_map import read_strategy_map
from cautious.models.base import ChatModel, is_free, load_model
from cautious.paths import check_cache_path, check_output_file, refuse_overwriting_inputs
from cautious.records import Example, Strategy
from cautious.strategies import load_catalog
from cautious.task import draw_examples, input_files
from cautious.tasks import resolve_tasks

#: Options of `openai:` teachers only.
_SERVER_OPTIONS = ("base_url", "rpm", "tpm")


class GenerateJob(GenerateConfig):
    tasks: str = "lab"
    strategy: str
    teacher: str = "lab"
    split: str = "train"
    n: int = Field(100, ge=1, description="examples per task")
    strategies_file: list[Path] = Field(default_factory=list)
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    rpm: float | None = Field(None, gt=0)
    tpm: float | None = Field(None, gt=0)
    timeout: float = Field(120.0, gt=0)
    max_retries: int = Field(6, ge=0)
    no_cache: bool = False
    dry_run: bool = False

    @model_validator(mode="after")
    def _server_options(self) -> GenerateJob:
        if not self.is_server and any(getattr(self, k) for k in _SERVER_OPTIONS):
            raise ValueError("--base-url, --rpm and --tpm apply to `openai:MODEL` teachers only")
        return self

    @property
    def is_server(self) -> bool:
        return self.teacher.partition(":")[0] == "openai"

    def cache_path(self) -> Path | None:
        """`--cache`, else OUT.cache.sqlite; none for `--no-cache` or a free teacher."""
        if self.no_cache or (self.cache is None and is_free(self.teacher)):
            return None
        return self.cache or self.out.with_suffix(".cache.sqlite")

    def teacher_options(self) -> dict:
        if not self.is_server:
            return {}
        return {"base_url": self.base_url, "api_key_env": self.api_key_env, "concurrency": self.concurrency or 16,
                "rpm": self.rpm, "tpm": self.tpm, "timeout": self.timeout, "max_retries": self.max_retries}


@dataclass
class Prepared:
    """A job's objects: the teacher, the work, and the config `generate()` takes."""

    model: ChatModel
    work: list[tuple[Strategy, list[Example]]]
    config: GenerateConfig
    stats_path: Path


def prepare(job: GenerateJob) -> Prepared:
    """Check paths, resolve tasks and strategies, draw the examples, load the teacher."""
    check_output_file(job.out)
    catalog = load_catalog(job.strategies_file)
    task_list = resolve_tasks(job.tasks)
    mapping = read_strategy_map(job.strategy, [t.name for t in task_list], catalog)
    cache = job.cache_path()
    stats_path = job.out.with_suffix(".stats.json")
    if cache is not None:
        check_cache_path(cache, [job.out, stats_path])
    inputs = input_files(task_list, job.strategies_file, [job.prices] if job.prices else [])
    inputs += [Path(job.strategy)] if job.strategy not in catalog else []
    refuse_overwriting_inputs([job.out, stats_path] + ([cache] if cache else []), inputs)
    drawn = draw_examples(task_list, job.split, job.n, job.seed)
    work = group_by_strategy([ex for exs in drawn.values() for ex in exs], mapping, catalog)
    config = GenerateConfig.model_validate(job.model_dump(include=set(GenerateConfig.model_fields)) | {
        "cache": cache, "concurrency": job.concurrency if job.is_server else None})
    return Prepared(load_model(job.teacher, catalog, **job.teacher_options()), work, config, stats_path)

"""`cautious eval` as one typed job: model and task specs on top of `EvalConfig`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from cautious.evaluate.config import EvalConfig
from cautious.evaluate.runner import RUN_FILES, EvalResult, evaluate, require_judge
from cautious.models.base import load_model
from cautious.paths import check_cache_path, check_output_dir, refuse_overwriting_inputs
from cautious.request_cache import CachingModel
from cautious.strategies import load_catalog
from cautious.task import draw_examples, input_files
from cautious.tasks import resolve_tasks


class EvalJob(EvalConfig):
    model: str
    tasks: str
    n: int | None = Field(None, ge=1, description="examples per task (default: the whole split; lab tasks: 200)")
    strategies_file: list[Path] = Field(default_factory=list)


@dataclass
class EvalJobResult:
    result: EvalResult
    model_name: str
    wanted: set[tuple[str, str]]  # (task, condition) pairs of this job (a folder may hold more)
    notes: list[str]


def run_eval_job(job: EvalJob, on_progress: Callable[[int], None] | None = None,
                 on_start: Callable[[int], None] | None = None) -> EvalJobResult:
    """Check paths, resolve names, draw the examples, load the model, evaluate."""
    check_output_dir(job.out)  # before the model is loaded
    catalog = load_catalog(job.strategies_file)
    task_list = resolve_tasks(job.tasks)
    files = [c.path for c in job.system if c.path is not None]
    outputs = [job.out / name for name in RUN_FILES]
    if job.cache is not None:
        outputs.append(check_cache_path(job.cache, outputs, folder=job.out))
    refuse_overwriting_inputs(outputs, input_files(task_list, job.strategies_file, files))
    require_judge(task_list, job)
    examples = draw_examples(task_list, job.split, job.n, job.seed)
    if on_start:
        on_start(sum(map(len, examples.values())) * len(job.system))
    cfg = job.model_copy(update={"label": job.label or job.out.name})
    model = load_model(job.model, catalog)
    model = CachingModel(model, job.cache) if job.cache is not None else model
    try:
        result = evaluate(model, task_list, examples, cfg, catalog, on_progress)
    finally:
        model.close()
    wanted = {(t.name, c.name) for t in task_list for c in job.system}
    return EvalJobResult(result, model.name, wanted, list(model.notes))

"""Everything `cautious run` can check before its first stage, checked before its first stage.

Why: the stages run for minutes to hours (the probe trains, then every student does), and a
mistake that only the last stage reads — a missing `@file` system message for evaluation, a
typo in `teacher_options`, a run folder that cannot be written — used to surface only there,
after all that work. Each check here is cheap (no model is loaded, nothing is sent, nothing
is written) and ends in one line naming the run-config key and the culprit.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from cautious.errors import UserError, unknown_name
from cautious.paths import check_output_dir, same_file

#: Files and folders of the run folder that the run itself writes (stage folders by prefix).
RUN_FILES = ("run.json", "summary.json", "teacher-cache.sqlite")
STAGE_NAMES = ("data", "probe-data", "probe-train", "select", "probe-curve", "report")
STAGE_PREFIXES = ("generate-", "erase-", "train-", "eval-")
#: Where each backend's options are spelt: the class whose constructor takes them (first
#: argument: the model spec). The lab teacher takes none from the config.
BACKEND_CLASSES = {"openai": ("cautious.models.openai", "OpenAIChat"), "hf": ("cautious.models.hf", "HFChatModel")}


def validate_run(pipeline) -> None:
    """Check the run folder, every file the config names, every model spec and its options,
    the system messages and the tasks' splits — all before the first stage starts."""
    cfg, out = pipeline.cfg, Path(pipeline.out)
    where = "run config"
    check_run_folder(out)
    if not cfg.students:
        raise UserError(f"{where}: students: name at least one student")
    for task in pipeline.tasks:
        missing = [s for s in ("train", "dev", "test") if s not in task.splits]
        if missing:
            raise UserError(f"{where}: tasks: task {task.name!r} has no {missing[0]!r} split; `cautious run` needs train, dev and test")

    from cautious.erase import system_message
    from cautious.evaluate.conditions import parse_conditions

    for key, check in (("systems", lambda: parse_conditions(cfg.systems)), ("erase_system", lambda: [system_message(s) for s in _as_list(cfg.erase_system)])):
        try:
            check()
        except UserError as exc:
            raise UserError(f"{where}: {key}: {exc}") from None

    check_model(cfg.teacher, cfg.teacher_options, "teacher", "teacher_options")
    if cfg.probe is not None:
        check_model(cfg.probe, {}, "probe")
    student = str(cfg.train.get("model", "lab-tiny"))
    if student != "lab-tiny":
        check_local_model(student, "train.model")

    inputs = [Path(p) for p in cfg.strategies_files]
    inputs += [t.path for t in pipeline.tasks if t.path]
    inputs += [Path(s.strip()[1:]) for s in [*cfg.systems, *_as_list(cfg.erase_system)] if s.strip().startswith("@")]
    refuse_run_inputs(out, inputs)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def check_run_folder(out: Path) -> None:
    """The run folder can be written, and what the stages will write there is not in the way."""
    check_output_dir(out)
    for name in RUN_FILES[:2]:
        if (out / name).is_dir():
            raise UserError(f"{out / name}: is a folder; the run writes a file there")
    if out.is_dir():
        for entry in out.iterdir():
            if is_stage(entry.name) and not entry.is_dir():
                raise UserError(f"{entry}: is a file; the run writes its {entry.name} stage in a folder there")
            if is_stage(entry.name):
                check_output_dir(entry)


def is_stage(name: str) -> bool:
    return name in STAGE_NAMES or name.startswith(STAGE_PREFIXES)


def refuse_run_inputs(out: Path, inputs: list[Path]) -> None:
    """An input file the run would overwrite: one of its own files or inside a stage folder."""
    root = out.resolve()
    for path in inputs:
        try:
            rel = path.resolve().relative_to(root)
        except ValueError:
            continue
        if rel.parts and (rel.parts[0] in RUN_FILES or is_stage(rel.parts[0])):
            raise UserError(f"{path}: is inside the run folder, where the run writes {rel.parts[0]}; move it out of {out}")


def refuse_config_in_run(config: Path | None, out: Path) -> None:
    """The run config itself must not be a file the run writes (`run.json` is valid YAML)."""
    if config is None:
        return
    refuse_run_inputs(out, [config])
    if any(same_file(config, out / name) for name in RUN_FILES):
        raise UserError(f"{config}: is a file the run writes in {out}; copy the config elsewhere first")


def check_model(spec: str, options: dict[str, Any], key: str, options_key: str | None = None) -> None:
    """A model spec names a known backend, its options are ones that backend takes, and a
    local path it names exists — without loading the model or reaching a server."""
    from cautious.models.base import backend_names

    prefix, _, arg = spec.partition(":")
    backends = backend_names()
    if prefix not in backends:
        raise UserError(f"run config: {key}: {unknown_name('model backend', prefix, backends)}")
    if options and prefix not in BACKEND_CLASSES:
        raise UserError(f"run config: {options_key}: the {prefix} {key} takes no options (got {', '.join(map(repr, options))})")
    if options:
        module, name = BACKEND_CLASSES[prefix]
        cls = getattr(__import__(module, fromlist=[name]), name)
        valid = [p for p in list(inspect.signature(cls.__init__).parameters)[2:] if p not in ("args", "kwargs")]
        unknown = [k for k in options if k not in valid]
        if unknown:
            raise UserError(f"run config: {options_key}: unknown option {unknown[0]!r} for the {prefix} backend; "
                            f"valid options: {', '.join(valid)}")
    if prefix == "openai":
        from cautious.models.openai import OpenAIChat

        try:
            OpenAIChat(arg, **options)  # checks values; reaches no server until the first request
        except (TypeError, UserError) as exc:
            raise UserError(f"run config: {options_key or key}: {exc}") from None
    if prefix == "hf":
        check_local_model(arg, key)


def check_local_model(spec: str, key: str) -> None:
    """A model that is evidently a local path (not a hub id like `org/name`) must exist, and a
    `pkg:DIST` model must be installed (the error carries the pip command)."""
    from cautious.models.packaged import PREFIX, resolve_packaged

    if spec.startswith(PREFIX):
        try:
            resolve_packaged(spec)
        except UserError as exc:
            raise UserError(f"run config: {key}: {exc}") from None
        return
    local = spec.startswith((".", "/", "~")) or spec.count("/") > 1 or spec.lower().endswith(".gguf")
    if local and not Path(spec).expanduser().exists():
        raise UserError(f"run config: {key}: {spec}: model not found")
    from cautious.models.folder import check_model_folder

    check_model_folder(spec, where=f"run config: {key}: ")

"""One lane of `parallel_students` (`lanes.py`): one student's `train-*` and `eval-*` stages.

    python -m cautious.run.lane_worker RUN_FOLDER STUDENT THREADS ELAPSED

The run that starts it has written `RUN_FOLDER/run.json`; the lane rebuilds the pipeline from
it, so its stages have exactly the fingerprints the run computes. A user's mistake or an OS
fault on a user's path is one `error:` line on stderr (the run shows it, with the log's path).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from cautious.errors import UserError


def main(argv: list[str] | None = None) -> int:
    """Run one student's stages; 0 when they finished, 2 with one `error:` line otherwise."""
    import json

    from rich.console import Console

    from cautious import progress
    from cautious.paths import os_error_line

    folder, name, threads, elapsed = argv if argv is not None else sys.argv[1:]
    if os.environ.get("CAUTIOUS_LANE_PARENT", str(os.getppid())) != str(os.getppid()):
        return 1  # the run died before this lane could tie itself to it
    try:
        import torch

        torch.set_num_threads(int(threads))
        progress.configure(False)
        from cautious.run.config import RunConfig
        from cautious.run.pipeline import Pipeline

        out = Path(folder)
        try:
            cfg = RunConfig.model_validate(json.loads((out / "run.json").read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise UserError(f"{out / 'run.json'}: cannot read the run's config ({type(exc).__name__})") from None
        console = Console(file=sys.stdout, force_terminal=False, highlight=False, width=200)
        pipeline = Pipeline(cfg, out, console)
        pipeline.timer.started = time.perf_counter() - float(elapsed)
        pipeline.timer.show_eta = False  # a lane sees only its own stages; the run's ETA is the run's
        pipeline.run_student(name, int(threads))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        line = os_error_line(exc)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return UserError.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())

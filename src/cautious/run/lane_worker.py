"""One lane of `parallel_students` (`lanes.py`): students' `train-*` and `eval-*` stages.

    python -m cautious.run.lane_worker RUN_FOLDER THREADS ELAPSED    (student names on stdin)

The run that starts it has written `RUN_FOLDER/run.json`; the lane rebuilds the pipeline from
it, so its stages have exactly the fingerprints the run computes. It reads one student name a
line, runs that student with its stderr in `RUN_FOLDER/logs/<student>.log`, prints `DONE` and
the name, and waits for the next; it exits at the end of its input. A user's mistake or an OS
fault on a user's path is one `error:` line in the log (the run shows it, with the log's path).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from cautious.errors import UserError


def main(argv: list[str] | None = None) -> int:
    """Run the students named on stdin; 0 when all finished, 2 with one `error:` line otherwise."""
    import json

    from rich.console import Console

    from cautious import progress
    from cautious.paths import os_error_line
    from cautious.run.lanes import DONE

    folder, threads, elapsed = argv if argv is not None else sys.argv[1:]
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
        for line in sys.stdin:
            name = line.strip()
            if not name:
                continue
            sys.stderr.flush()
            fd = os.open(out / "logs" / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 2)  # this student's errors, warnings and tracebacks go to its own log
            os.close(fd)
            pipeline.run_student(name, int(threads))
            sys.stderr.flush()
            print(f"{DONE}{name}", flush=True)
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

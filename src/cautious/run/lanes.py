"""Students side by side: several students train and are evaluated at once, each in a process.

Why: after `select`, the students are independent — each has its own data, its own training
run from the same start and its own test — and on a CPU one process does not turn two cores
into twice the speed on steps as small as the lab's. Measured on 2 AVX2-only cores (lab-tiny,
8-row student steps of the lab preset): 0.233 s a step for one process with 2 threads, 0.31 s
a step for each of two 1-thread processes side by side — 1.5x the students' throughput. So
`parallel_students: 2` (the lab preset's) runs two students' `train-*` and `eval-*` stages at
a time, each in its own process with `cores / 2` threads.

What it changes, and what not: the thread count is part of a training run's floats, so a
student trained in a lane is a different (equally valid) run than one trained alone; the
stages' fingerprints include it, and a folder never mixes the two. Everything else is the
serial run's: the same stage functions, records and resume-in-place (a lane process runs
`Pipeline.run_student` for one student after another, `lane_worker.py`). A lane that fails ends the run with its error's one
line and the path of its log; the other lanes are stopped, and their stages resume where they
were on the next run. On Linux a lane also dies with the run's process (`PR_SET_PDEATHSIG`),
so a killed run leaves no student training in the background.

A GPU run keeps one student at a time (`lane_plan`): its steps already fill the device.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from cautious.errors import UserError


#: Students' throughput in lanes over one at a time, as measured on 2 AVX2-only cores (above);
#: it only scales the run's ETA before the students start.
LANE_SPEEDUP = 1.3


def lane_plan(requested: int, students: int) -> tuple[int, int]:
    """(lanes, threads per lane) for `requested` parallel students; (1, 0) means the serial run."""
    if requested <= 1 or students <= 1:
        return 1, 0
    import torch

    if torch.cuda.is_available():
        return 1, 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    lanes = min(requested, students, cores)
    return (lanes, max(1, cores // lanes)) if lanes > 1 else (1, 0)


def makespan(durations: list[float], lanes: int) -> float:
    """The wall time of running `durations` in order on `lanes` workers, each taking the next job
    when it is free — how `run_lanes` schedules, so a resumed run's wall is the one it would have had."""
    free = [0.0] * max(1, lanes)
    for d in durations:
        i = free.index(min(free))
        free[i] += d
    return max(free) if durations else 0.0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _last_line(path: Path) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "(no log)"
    return lines[-1] if lines else "(it printed nothing)"


#: What a lane prints (alone on a line) when it has finished a student and waits for the next.
DONE = "\x1ecautious-lane-done "


def run_lanes(out: Path, names: list[str], lanes: int, threads: int, write=print, elapsed: float = 0.0) -> None:
    """Run each named student's stages, `lanes` at a time, in `lanes` worker processes
    (`python -m cautious.run.lane_worker`), each taking the next student when it is free.

    A worker is started once per lane, not per student: its imports and start-up (~5 s on a
    slow CPU) would otherwise sit between every two students of a lane. Stage lines go to
    `write`; a student's stderr to `<out>/logs/<student>.log`."""
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "CAUTIOUS_LANE_PARENT": str(os.getpid())}
    queue, lock, workers = list(names), threading.Lock(), []
    started = time.perf_counter() - elapsed

    def feed(w: dict) -> None:  # under `lock`: the next student, or EOF (the worker then exits)
        w["name"] = queue.pop(0) if queue else None
        try:
            if w["name"] is None:
                w["proc"].stdin.close()
            else:
                w["proc"].stdin.write(w["name"] + "\n")
                w["proc"].stdin.flush()
        except OSError:  # the worker is gone; its exit code says why
            pass

    def relay(w: dict) -> None:
        for line in iter(w["proc"].stdout.readline, ""):
            if line.startswith(DONE):
                with lock:
                    w["finished"].append(line[len(DONE):].strip())
                    feed(w)
            else:
                write(line.rstrip("\n"))

    try:
        for k in range(min(lanes, len(queue))):
            log = (logs / f"lane-{k}.log").open("w", encoding="utf-8")
            cmd = [sys.executable, "-u", "-m", "cautious.run.lane_worker", str(out), str(threads), f"{time.perf_counter() - started:.1f}"]
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, env=env,
                                    preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
            w = {"proc": proc, "log": log, "name": None, "finished": []}
            w["relay"] = threading.Thread(target=relay, args=(w,), daemon=True)
            workers.append(w)
            with lock:
                feed(w)
            w["relay"].start()
        # Done when every student has reported back, not when every worker has exited: a
        # worker's interpreter takes seconds to tear torch down, and its stages are on disk.
        while sum(len(w["finished"]) for w in workers) < len(names):
            for w in workers:
                code = w["proc"].poll()
                if code is not None and (code != 0 or w["name"] is not None):
                    w["relay"].join()  # its last lines are in before the error is read
                    raise UserError(_failure(w, logs))
            time.sleep(0.05)
    finally:
        for w in workers:
            if w["proc"].poll() is None:
                w["proc"].terminate()  # after the last DONE: a worker still shutting down
        for w in workers:
            w["proc"].wait()
            w["log"].close()


def _failure(w: dict, logs: Path) -> str:
    """One line: the student the lane was on, its error's last line, and where the log is."""
    name = w["name"]
    path = logs / f"{name}.log" if name and (logs / f"{name}.log").exists() else Path(w["log"].name)
    who = f"student {name!r}" if name else "a student lane"
    return f"{who}: {_last_line(path)} (its log: {path})"

"""Teacher-generation throughput: achieved requests/s against a server that allows C at once.

A local OpenAI-compatible server (tests/fake_openai_server.py, in its own process) answers
every request after a fixed latency L and serves at most C requests concurrently, so no
client can exceed C/L requests per second. We send the same N prompts through

- cautious: `cautious.generate.generate()` with the `openai` backend at concurrency C — the
  whole pipeline (request cache, verification, append-per-answer output), not just HTTP;
- distilabel (if installed): a Pipeline LoadDataFromDicts → TextGeneration(OpenAILLM) with
  input_batch_size C, which is how it sets concurrency;
- Curator (if installed; it pins old openai/pydantic versions, so it runs from its own venv
  `.bench_cache/venv-curator` — create it with `python -m venv .bench_cache/venv-curator &&
  .bench_cache/venv-curator/bin/pip install bespokelabs-curator`): `curator.LLM` with
  max_concurrent_requests C and rate limits set high,

and report achieved requests/s, its ratio to C/L (target for cautious: >= 0.95), and wall
time including each tool's start-up. Writes a table and JSON to bench/results/.

    python bench/generate_throughput.py            # default grid
    python bench/generate_throughput.py --quick    # one small configuration
    python bench/generate_throughput.py --smoke --out /tmp/g.json   # seconds, cautious only: does it still run?

Timings on a shared 2-core machine are noisy: run twice and compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CURATOR_PY = ROOT / ".bench_cache" / "venv-curator" / "bin" / "python"
MODEL = "lab-teacher"


class Server:
    """The fake server as a separate process, so its CPU time is not the client's."""

    def __init__(self, latency: float, concurrency: int) -> None:
        cmd = [sys.executable, str(ROOT / "tests" / "fake_openai_server.py"), "--latency", str(latency),
               "--max-concurrency", str(concurrency), "--reply", "fixed", "--lifetime", "900", "--model", MODEL]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), line
        self.base_url = f"http://127.0.0.1:{int(line.split()[1])}/v1"

    def stats(self) -> dict:
        with urllib.request.urlopen(self.base_url.replace("/v1", "/stats"), timeout=10) as r:
            return json.loads(r.read())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def prompts(n: int) -> list[str]:
    return [f"What is {i} + {i + 1}? (item {i})" for i in range(n)]


def run_cautious(base_url: str, concurrency: int, n: int, workdir: Path) -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    from cautious.generate import GenerateConfig, generate
    from cautious.models.base import load_model
    from cautious.records import Example
    from cautious.strategies import get_strategy

    examples = [Example(id=f"bench/{i}", task="bench", input=p, target=str(2 * i + 1), answer_type="number") for i, p in enumerate(prompts(n))]
    t0 = time.perf_counter()
    model = load_model(f"openai:{MODEL}", base_url=base_url, concurrency=concurrency, timeout=60)
    result = generate(
        model, [(get_strategy("direct-answer"), examples)],
        GenerateConfig(out=workdir / "cautious.jsonl", max_tokens=32, cache=workdir / "cautious.cache.sqlite"),
    )
    wall = time.perf_counter() - t0
    assert result.written == n, result
    return {"wall_s": wall, "generate_s": result.seconds, "records": result.written}


DISTILABEL_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
from distilabel.models import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
base_url, concurrency, n, cache = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
data = [{"instruction": f"What is {i} + {i + 1}? (item {i})"} for i in range(n)]
with Pipeline(name="bench", cache_dir=cache) as pipeline:
    load = LoadDataFromDicts(data=data, batch_size=concurrency)
    gen = TextGeneration(
        llm=OpenAILLM(model="lab-teacher", base_url=base_url, api_key="EMPTY", max_retries=0,
                      generation_kwargs={"max_new_tokens": 32, "temperature": 0.0}),
        input_batch_size=concurrency,
    )
    load >> gen
t1 = time.perf_counter()
distiset = pipeline.run(use_cache=False)
t2 = time.perf_counter()
rows = distiset["default"]["train"]
ok = sum(1 for r in rows if r["generation"])
print(json.dumps({"wall_s": t2 - t0, "generate_s": t2 - t1, "records": ok}))
"""

CURATOR_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
from bespokelabs import curator
base_url, concurrency, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
llm = curator.LLM(
    model_name="lab-teacher", backend="openai",
    generation_params={"max_tokens": 32, "temperature": 0.0},
    backend_params={"base_url": base_url, "api_key": "EMPTY", "max_retries": 0,
                    "max_requests_per_minute": 1_000_000, "max_tokens_per_minute": 1_000_000_000,
                    "max_concurrent_requests": concurrency, "require_all_responses": False},
)
t1 = time.perf_counter()
out = llm([f"What is {i} + {i + 1}? (item {i})" for i in range(n)])
t2 = time.perf_counter()
ds = out.dataset if hasattr(out, "dataset") else out
print(json.dumps({"wall_s": t2 - t0, "generate_s": t2 - t1, "records": len(ds)}))
"""


def run_script(python: str, script: str, args: list[str], env_extra: dict, timeout: float) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TELEMETRY_ENABLED": "false",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "DO_NOT_TRACK": "1", "OPENAI_API_KEY": "EMPTY", **env_extra}
    proc = subprocess.run([python, "-c", textwrap.dedent(script), *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=tempfile.gettempdir())
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"exit {proc.returncode}: {' | '.join(tail)}")
    return json.loads(lines[-1])


def tiktoken_dir(python: str) -> str:
    """Curator counts tokens with tiktoken, which downloads its encoding on first use; offline,
    point it at the copy of cl100k_base that litellm (a Curator dependency) ships."""
    site = Path(python).parents[1] / "lib"  # the venv, not the interpreter it links to
    found = sorted(site.glob("python3*/site-packages/litellm/litellm_core_utils/tokenizers"))
    return str(found[0]) if found else ""


def peers() -> dict[str, str | None]:
    """Which peers can run here, and with which interpreter (None: not installed)."""
    found: dict[str, str | None] = {"distilabel": None, "curator": None}
    probe = subprocess.run([sys.executable, "-c", "import distilabel"], capture_output=True)
    if probe.returncode == 0:
        found["distilabel"] = sys.executable
    for py in (sys.executable, str(CURATOR_PY)):
        if Path(py).exists() and subprocess.run([py, "-c", "from bespokelabs import curator"], capture_output=True,
                                                env={**os.environ, "TELEMETRY_ENABLED": "false"}).returncode == 0:
            found["curator"] = py
            break
    return found


def versions(found: dict[str, str | None]) -> dict[str, str]:
    out = {}
    for tool, py, dist in (("cautious", sys.executable, "cautious"), ("aiohttp", sys.executable, "aiohttp"),
                           ("distilabel", found.get("distilabel"), "distilabel"), ("curator", found.get("curator"), "bespokelabs-curator")):
        if py:
            got = subprocess.run([py, "-c", f"import importlib.metadata as m; print(m.version('{dist}'))"], capture_output=True, text=True)
            out[tool] = got.stdout.strip() or "?"
    return out


def measure(tool: str, latency: float, concurrency: int, n: int, python: str | None) -> dict:
    ideal = concurrency / latency
    row = {"tool": tool, "latency_s": latency, "concurrency": concurrency, "requests": n, "ideal_rps": ideal}
    if python is None and tool != "cautious":
        return {**row, "status": "not installed"}
    server = Server(latency, concurrency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            budget = 60 + 4 * n / ideal
            if tool == "cautious":
                got = run_cautious(server.base_url, concurrency, n, Path(tmp))
            elif tool == "distilabel":
                got = run_script(python, DISTILABEL_SCRIPT, [server.base_url, str(concurrency), str(n), tmp], {}, budget)
            else:
                got = run_script(python, CURATOR_SCRIPT, [server.base_url, str(concurrency), str(n)],
                                 {"CURATOR_CACHE_DIR": tmp, "TIKTOKEN_CACHE_DIR": tiktoken_dir(python)}, budget)
        seen = server.stats()
    except Exception as exc:  # a peer failing is a result to report, not a crash
        if tool == "cautious":
            raise  # ours failing is a broken benchmark (an API change): it must not read as a result
        return {**row, "status": f"failed: {str(exc)[:300]}"}
    finally:
        server.close()
    rps = n / got["generate_s"]
    return {**row, **got, "status": "ok", "server_requests": seen["requests"], "server_max_inflight": seen["max_inflight"],
            "client_max_open": seen["max_open"], "client_turnaround_ms": round(seen["client_turnaround_ms"]["mean"], 2),
            "achieved_rps": round(rps, 2), "ratio_to_ideal": round(rps / ideal, 3)}


NOTE = """\
The server answers each request after exactly L seconds and serves at most C at once, so C/L
is the ceiling. achieved = N / run s, where run s is the tool's generate call (cautious
`generate()`, distilabel `pipeline.run()`, Curator `llm(...)`); wall adds the tool's imports
and, for the peers (separate processes), interpreter start-up. "client max open" is the
most requests the server saw open at once (no tool exceeded C). Each configuration starts a
fresh server; nothing is cached between tools."""


def table(rows: list[dict]) -> str:
    out = ["| tool | L (s) | C | N | C/L req/s | achieved req/s | ratio | run s | wall s (with start-up) | client max open | status | measured |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        fmt = lambda k, f="{:.2f}": f.format(r[k]) if k in r else "-"  # noqa: E731
        out.append(f"| {r['tool']} | {r['latency_s']} | {r['concurrency']} | {r['requests']} | {r['ideal_rps']:.1f} | "
                   f"{fmt('achieved_rps')} | {fmt('ratio_to_ideal', '{:.3f}')} | {fmt('generate_s')} | {fmt('wall_s')} | "
                   f"{r.get('client_max_open', '-')} | {r['status']} | {r.get('measured', '-')} |")
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one small configuration")
    p.add_argument("--waves", type=int, default=20, help="N = waves x C requests per configuration")
    p.add_argument("--tools", default="cautious,distilabel,curator")
    p.add_argument("--grid", help="configurations as LxC, e.g. 0.25x16,1x128")
    p.add_argument("--out", type=Path, default=RESULTS / "generate_throughput.json", help="JSON results (the table: .md beside it)")
    p.add_argument("--smoke", action="store_true", help="the cheapest path: cautious only, 8 requests (checks the script still runs)")
    args = p.parse_args()
    if args.smoke:
        args.grid, args.waves, args.tools = "0.01x4", 2, "cautious"
    grid = [(0.5, 16)] if args.quick else [(0.5, 16), (1.0, 64), (2.0, 128), (1.0, 128)]
    if args.grid:
        grid = [(float(lc.split("x")[0]), int(lc.split("x")[1])) for lc in args.grid.split(",")]
    found = peers()
    rows = []
    for latency, concurrency in grid:
        for tool in args.tools.split(","):
            n = args.waves * concurrency
            row = measure(tool, latency, concurrency, n, found.get(tool))
            print(f"{tool:10s} L={latency} C={concurrency} N={n}: {row.get('achieved_rps', '-')} req/s "
                  f"(ideal {concurrency / latency:.0f}) {row['status']}", flush=True)
            rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # A run of some tools keeps the other tools' rows of the same configurations from the
    # previous results (each row says when it was measured), so re-measuring cautious after a
    # change does not throw away the peers' numbers.
    when = time.strftime("%Y-%m-%d %H:%M")
    ran = set(args.tools.split(","))
    old_path = args.out
    old = json.loads(old_path.read_text()) if old_path.exists() else {}
    kept = [{**r, "measured": r.get("measured", old.get("meta", {}).get("date", "?"))} for r in old.get("rows", [])
            if r["tool"] not in ran and (r["latency_s"], r["concurrency"]) in set(grid)]
    rows = [{**r, "measured": when} for r in rows] + kept
    rows.sort(key=lambda r: (grid.index((r["latency_s"], r["concurrency"])), ["cautious", "distilabel", "curator"].index(r["tool"])
                             if r["tool"] in ("cautious", "distilabel", "curator") else 9))
    meta = {"machine": f"{platform.machine()}, {os.cpu_count()} cores (shared with other jobs: timings are noisy)",
            "python": platform.python_version(), "date": when,
            "peers": {k: (str(Path(v).relative_to(ROOT)) if v and Path(v).is_relative_to(ROOT) else v) for k, v in found.items()},
            "versions": versions(found)}
    args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    md = f"# Teacher-generation throughput\n\n{meta['machine']}; {meta['date']}; versions {meta['versions']}\n\n{table(rows)}\n\n{NOTE}\n"
    args.out.with_suffix(".md").write_text(md)
    print("\n" + table(rows))
    ours = [r for r in rows if r["tool"] == "cautious" and r["status"] == "ok"]
    worst = min((r["ratio_to_ideal"] for r in ours), default=0.0)
    print(f"\ncautious worst ratio to C/L: {worst:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()

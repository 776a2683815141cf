"""A local OpenAI-compatible chat server for tests and benchmarks: real HTTP on 127.0.0.1.

It answers `POST /v1/chat/completions` with the lab teacher (so answers are correct and in
the requested strategy's shape, deterministically), `GET /v1/models`, and `GET /stats`.
Faults are injected on demand — 429 with Retry-After, 500, a hang past the client's timeout,
malformed JSON, a reply without choices, a dropped connection, a truncated reply — either
from a script (the next N requests) or at a seeded, per-request rate. Every request it saw is
recorded (`requests`), with the fault it got, so tests can check what a client re-sent.

A test that interrupts a client at a chosen point holds the server instead of timing it:
`hold(after=n)` lets n more chat requests through and holds every later one until `release()`,
and `wait_held()` returns once the client is blocked on a held request. A signal sent then
lands at that point however slow the machine is (a sleep-based kill raced the job's end).

Run in a thread (`with FakeOpenAIServer(...) as srv:`) or as a process
(`python tests/fake_openai_server.py --latency 0.5 --max-concurrency 32`, prints `PORT n`).
It stops by itself after `lifetime` seconds, so a crashed test never leaves it behind.
Only loopback is ever bound.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

FAULTS = ("429", "500", "timeout", "malformed", "empty", "drop", "truncate")


def lab_reply(strategies: dict | None = None) -> Callable[[list[dict], dict], str]:
    """Answers like the solver-backed lab teacher (any strategy of the catalog it is given)."""
    from cautious.models.lab import LabTeacher
    from cautious.records import Message

    teacher = LabTeacher(strategies=strategies)
    return lambda messages, body: teacher.answer([Message(**m) for m in messages])


def count_tokens(text: str) -> int:
    import re

    return len(re.findall(r"\w+|[^\w\s]", text))


@dataclass
class FakeOpenAIServer:
    latency: float = 0.0
    max_concurrency: int = 1000
    models: tuple[str, ...] = ("lab-teacher",)
    api_key: str | None = None  # when set, other keys get 401 (echoing the key they sent)
    reply: Callable[[list[dict], dict], str] | None = None
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = ("429", "500", "malformed", "drop")
    seed: int = 0
    retry_after: str = "1"
    hang: float = 3.0
    lifetime: float = 300.0
    bind_port: int = 0  # 0: any free port (`port` says which)
    requests: list[dict] = field(default_factory=list)
    script: list[str] = field(default_factory=list)  # faults for the next requests, in order
    always: dict[str, str] = field(default_factory=dict)  # text in the last message -> its fault, every time

    def __post_init__(self) -> None:
        self.reply = self.reply or lab_reply()
        self.inflight = 0
        self.max_inflight = 0  # requests being served at once (at most max_concurrency)
        self.open = 0
        self.max_open = 0  # requests received and not yet answered: the client's real concurrency
        self.turnaround: list[float] = []  # per connection: response written -> next request read
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.admitted = 0  # chat requests let through so far
        self.held = 0  # chat requests waiting at the gate now
        self._hold_at: int | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> "FakeOpenAIServer":
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def _serve(self, ready: threading.Event) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self._sem = asyncio.Semaphore(self.max_concurrency)
        server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.bind_port, backlog=4096))
        self.port = server.sockets[0].getsockname()[1]
        self._stopper = self.loop.call_later(self.lifetime, self.loop.stop)
        ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()
            tasks = asyncio.all_tasks(self.loop)
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.close()

    def stop(self) -> None:
        if getattr(self, "loop", None) and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)

    def __enter__(self) -> "FakeOpenAIServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def hold(self, after: int = 0) -> None:
        """Let `after` more chat requests through, then hold each later one until `release()`."""
        with self._lock:
            self._hold_at = self.admitted + after

    def release(self) -> None:
        with self._lock:
            self._hold_at = None

    def wait_held(self, timeout: float = 120.0, while_alive=None) -> bool:
        """Block until a request waits at the gate (False if `while_alive()` turns false first)."""
        deadline = time.monotonic() + timeout
        while self.held == 0:
            if while_alive is not None and not while_alive():
                return False
            if time.monotonic() > deadline:
                raise TimeoutError("no request reached the held gate")
            time.sleep(0.01)
        return True

    def fail_next(self, *faults: str) -> None:
        with self._lock:
            self.script.extend(faults)

    def chat_requests(self, fault: str | None | bool = False) -> list[dict]:
        """Chat requests seen; `fault=None` keeps only those answered normally."""
        out = [r for r in self.requests if r["path"].endswith("/chat/completions")]
        return out if fault is False else [r for r in out if r["fault"] == fault]

    # -- HTTP ----------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        last_reply = None
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if last_reply is not None:
                    self.turnaround.append(time.monotonic() - last_reply)
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                keep = await self._route(method, path, headers, body, writer)
                last_reply = time.monotonic()
                if not keep or headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            # The server stopping under a request it still holds. Python 3.11's stream callback
            # calls exception() on a cancelled handler and logs a CancelledError traceback per
            # held request into the test's output; ending the handler quietly avoids that.
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _send(self, writer, status: int, payload: bytes | dict, extra: dict | None = None) -> bool:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}
        head = f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        for k, v in (extra or {}).items():
            head += f"{k}: {v}\r\n"
        writer.write(head.encode() + b"\r\n" + data)
        await writer.drain()
        return True

    def _authorized(self, headers: dict) -> tuple[bool, str]:
        given = headers.get("authorization", "").removeprefix("Bearer ").strip()
        return (self.api_key is None or given == self.api_key), given

    async def _route(self, method, path, headers, body, writer) -> bool:
        ok, given = self._authorized(headers)
        if path.endswith("/stats"):
            turn = sorted(self.turnaround) or [0.0]
            return await self._send(writer, 200, {
                "requests": len(self.chat_requests()), "max_inflight": self.max_inflight, "max_open": self.max_open,
                "client_turnaround_ms": {"mean": 1000 * sum(turn) / len(turn), "p50": 1000 * turn[len(turn) // 2], "max": 1000 * turn[-1]},
            })
        if not ok:  # like OpenAI, the error names the (here: whole) key it was given
            self.requests.append({"path": path, "fault": "401", "t": time.monotonic(), "body": None})
            return await self._send(writer, 401, {"error": {"message": f"Incorrect API key provided: {given}", "code": "invalid_api_key"}})
        if method == "GET" and path.endswith("/models"):
            return await self._send(writer, 200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]})
        if method == "POST" and path.endswith("/chat/completions"):
            return await self._chat(json.loads(body or b"{}"), path, writer)
        return await self._send(writer, 404, {"error": {"message": f"no route {method} {path}"}})

    def _pick_fault(self, sig: str, req: dict) -> str | None:
        last = (req.get("messages") or [{}])[-1].get("content", "")
        for needle, fault in self.always.items():
            if needle in last:
                return fault
        with self._lock:
            if self.script:
                return self.script.pop(0) or None
            attempt = self._attempts.get(sig, 0)
            self._attempts[sig] = attempt + 1
        if self.fault_rate <= 0:
            return None
        rng = random.Random(f"{self.seed}:{sig}:{attempt}")
        return rng.choice(self.fault_kinds) if rng.random() < self.fault_rate else None

    async def _chat(self, req: dict, path: str, writer) -> bool:
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        try:
            with self._lock:
                held = self._hold_at is not None and self.admitted >= self._hold_at
                self.admitted += not held
            if held:
                self.held += 1
                try:
                    while self._hold_at is not None:
                        await asyncio.sleep(0.005)
                finally:
                    self.held -= 1
            return await self._answer(req, path, writer)
        finally:
            self.open -= 1

    async def _answer(self, req: dict, path: str, writer) -> bool:
        # The signature keys seeded faults; without fault injection (benchmarks) skip its cost.
        injecting = self.fault_rate > 0 or self.script or self.always
        sig = hashlib.sha256(json.dumps(req, sort_keys=True).encode()).hexdigest() if injecting else f"{len(self.requests):012x}"
        fault = self._pick_fault(sig, req) if injecting else None
        record = {"path": path, "body": req, "sig": sig, "fault": fault, "t": time.monotonic()}
        self.requests.append(record)
        if req.get("model") not in self.models:
            record["fault"] = "404"
            return await self._send(writer, 404, {"error": {"message": f"The model `{req.get('model')}` does not exist."}})
        async with self._sem:
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            try:
                if self.latency:
                    await asyncio.sleep(self.latency)
                if fault == "timeout":
                    await asyncio.sleep(self.hang)
            finally:
                self.inflight -= 1
        if fault == "429":
            return await self._send(writer, 429, {"error": {"message": "rate limited"}}, {"Retry-After": self.retry_after})
        if fault == "500":
            return await self._send(writer, 500, {"error": {"message": "internal error"}})
        if fault == "malformed":
            return await self._send(writer, 200, b'{"id": "x", "choices": [{"message": {"content": "Final ans')
        if fault == "empty":
            return await self._send(writer, 200, {"id": "x", "object": "chat.completion", "choices": []})
        if fault == "drop":
            return False
        text = self.reply(req["messages"], req)
        tokens = count_tokens(text)
        finish = "stop"
        limit = int(req.get("max_tokens") or 1 << 30)
        if fault == "truncate" or tokens > limit:
            words = text.split(" ")
            text = " ".join(words[: max(1, min(limit, len(words) // 2))])
            tokens, finish = count_tokens(text), "length"
        record["answered"] = True
        prompt = sum(count_tokens(m["content"]) for m in req["messages"])
        return await self._send(writer, 200, {
            "id": "chatcmpl-" + sig[:12],
            "object": "chat.completion",
            "model": req["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": tokens, "total_tokens": prompt + tokens},
        })


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latency", type=float, default=0.0)
    p.add_argument("--max-concurrency", type=int, default=1000)
    p.add_argument("--lifetime", type=float, default=600.0)
    p.add_argument("--model", action="append", default=None)
    p.add_argument("--reply", choices=("lab", "fixed"), default="lab")
    p.add_argument("--port", type=int, default=0, help="port to bind on 127.0.0.1 (default: any free one)")
    args = p.parse_args()
    reply = (lambda m, b: "The sum is 4.\nFinal answer: 4") if args.reply == "fixed" else None
    srv = FakeOpenAIServer(
        latency=args.latency, max_concurrency=args.max_concurrency, lifetime=args.lifetime,
        models=tuple(args.model or ["lab-teacher"]), reply=reply, bind_port=args.port,
    ).start()
    print(f"PORT {srv.port}", flush=True)
    srv._thread.join()
    sys.exit(0)


if __name__ == "__main__":
    main()

"""Backend `openai`: any OpenAI-compatible chat-completions server.

One client for OpenAI, Azure (its v1 endpoint), vLLM, SGLang, llama.cpp's server and Ollama:
they all speak `POST {base_url}/chat/completions`. Built on aiohttp (async, pooled
connections), tenacity (retries) and aiolimiter (rate limits) rather than home-made versions.

Why it looks like this:
- aiohttp rather than httpx (or the openai SDK, which sits on httpx): httpx's connection pool
  does work proportional to the number of connections on every request (encode/httpx#3215,
  openai/openai-python#1596 — the SDK added an aiohttp transport for this). Measured here at
  128 concurrent requests with 1 s latency: httpx reaches ~30 req/s of the 128 allowed,
  aiohttp ~123 (0.3 ms of CPU per request). A teacher client must not be the bottleneck of a
  vLLM server that batches hundreds of sequences.
- Bounded concurrency (a semaphore) is what a server's batch size wants; requests-per-minute
  and tokens-per-minute limiters are what a hosted API's quota wants. Both apply at once.
- 429, 408, 5xx, timeouts, dropped connections and malformed replies are retried with
  exponential backoff and jitter; a `Retry-After` (or `retry-after-ms`) header is honoured
  and pauses *every* request, since a quota is shared. What still fails after the retries
  raises `RequestFailed` for that one request: the caller records it as failed and goes on,
  so one bad call never loses a batch.
- A bad key (401/403), an unknown model (404) or an unreachable URL is not worth retrying and
  would fail every request the same way: it raises `TeacherUnavailable` (a `UserError`), which
  stops the run with one clear line.
- A reply cut by the token limit (`finish_reason: length`) is returned as such, not retried
  (the same request would be cut again); `generate` flags it.
- The API key is read from an environment variable when the first request is made and lives
  only in this object's request headers: never in a record, the cache, a log line or an error
  message (server error bodies are scrubbed of it before they are shown).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import random
import time
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter
from yarl import URL
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from cautious.errors import UserError
from cautious.models.aio import run_sync
from cautious.models.chat import ChatModel, Completion, SamplingParams
from cautious.records import Message

DEFAULT_BASE_URL = "https://api.openai.com/v1"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "0.0.0.0", "[::1]", "::1")
RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529}


class RequestFailed(Exception):
    """One request failed for good (retries exhausted, or a 4xx that retrying cannot fix)."""


class TeacherUnavailable(UserError):
    """Every request would fail the same way: wrong key, unknown model, unreachable server."""


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(headers) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `retry-after` as seconds or an HTTP date."""
    headers = {k.lower(): v for k, v in headers.items()}
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


def estimate_tokens(text: str) -> int:
    """About four characters per token: enough for rate limiting and estimates, no tokenizer."""
    return max(1, (len(text) + 3) // 4)


class OpenAIChat(ChatModel):
    """A chat model behind an OpenAI-compatible HTTP API; `achat` is the concurrent entry point."""

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 16,
        rpm: float | None = None,
        tpm: float | None = None,
        timeout: float = 120.0,
        max_retries: int = 6,
        max_backoff: float = 60.0,
        backoff: float = 0.5,
    ) -> None:
        if not model:
            raise UserError("the openai backend needs a model id: `openai:MODEL` (e.g. openai:gpt-4o-mini)")
        if concurrency < 1:
            raise UserError("--concurrency must be at least 1")
        self.model = model
        self.name = f"openai:{model}"
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.rpm, self.tpm = rpm, tpm
        self.timeout, self.max_retries, self.max_backoff, self.backoff = timeout, max_retries, max_backoff, backoff
        self.stats: dict[str, int] = {"requests": 0, "retries": 0, "failed": 0}
        self._key: str | None = None
        self._client: aiohttp.ClientSession | None = None
        self._pause_until = 0.0

    def __repr__(self) -> str:  # never show the key, even by accident
        return f"OpenAIChat(model={self.model!r}, base_url={self.base_url!r})"

    # -- session: one per event loop, since connection pools and limiters belong to a loop ----------
    def _read_key(self) -> str:
        key = os.environ.get(self.api_key_env, "")
        if key:
            return key
        host = URL(self.base_url).host or ""
        if host in LOCAL_HOSTS or host.endswith(".local"):
            return "EMPTY"  # local servers (vLLM, llama.cpp, Ollama) take any key
        raise TeacherUnavailable(
            f"environment variable {self.api_key_env} is not set: put the API key for {self.base_url} there "
            f"(or name another variable with --api-key-env)"
        )

    async def open(self) -> None:
        """Read the key, build the client and limiters, and check the server answers at all."""
        if self._client is not None:
            return
        self._key = self._read_key()
        headers = {"Authorization": f"Bearer {self._key}", "Content-Type": "application/json"}
        if "azure" in (URL(self.base_url).host or ""):
            headers["api-key"] = self._key
        self._client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.concurrency, limit_per_host=self.concurrency),
            timeout=aiohttp.ClientTimeout(total=self.timeout, connect=min(10.0, self.timeout)),
            headers=headers,
            # Honour HTTP(S)_PROXY when one is set; otherwise skip aiohttp's per-request proxy
            # and .netrc lookups (two thread hops per request, measurable at high concurrency).
            trust_env=any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")),
        )
        self._chat_url = self._url("/chat/completions")
        self._sem = asyncio.Semaphore(self.concurrency)
        self._rpm = _limiter(self.rpm)
        # Token bucket holding ten seconds of quota: bursts stay small, and one request's
        # reservation (prompt estimate + max_tokens) is clamped to it.
        self._tpm = AsyncLimiter(self.tpm / 6, 10) if self.tpm else None
        try:
            await self._preflight()
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _url(self, path: str) -> URL:
        url = URL(self.base_url)  # keeps a query string such as Azure's ?api-version=
        return url.with_path(url.path.rstrip("/") + path).with_query(url.query)

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key and self._key != "EMPTY" else text

    async def _preflight(self) -> None:
        """GET /models: an unreachable URL or a rejected key is one clear message, before any work."""
        assert self._client is not None
        last: Exception | None = None
        for attempt in range(3):
            try:
                timeout = aiohttp.ClientTimeout(total=min(10.0, self.timeout))
                async with self._client.get(self._url("/models"), timeout=timeout) as resp:
                    status, raw = resp.status, await resp.read()
                break
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                last = exc
                await asyncio.sleep(0.3 * (attempt + 1))
        else:
            why = self._scrub(str(last)) or "no answer"
            raise TeacherUnavailable(f"cannot reach the teacher at {self.base_url} ({type(last).__name__}: {why})")
        if status in (401, 403):
            raise TeacherUnavailable(f"{self.base_url} rejected the API key from ${self.api_key_env} (HTTP {status}); check the key")
        self.served: list[str] = []
        if status == 200:
            try:
                self.served = [m["id"] for m in json.loads(raw).get("data", [])]
            except (ValueError, KeyError, TypeError, AttributeError):
                pass

    # -- one request, retried ----------------------------------------------------------------
    def payload(self, messages: list[Message], params: SamplingParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.model_dump() for m in messages],
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
        }
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        return body

    async def achat(self, messages: list[Message], params: SamplingParams) -> Completion:
        """One chat request with retries; raises `RequestFailed` or `TeacherUnavailable`."""
        if self._client is None:
            await self.open()
        body = json.dumps(self.payload(messages, params), ensure_ascii=False).encode("utf-8")
        tokens = sum(estimate_tokens(m.content) for m in messages) + params.max_tokens
        # Most requests succeed first time: try once directly and bring in tenacity only for
        # retries (building its retry state per request costs ~0.1 ms, which adds up at
        # hundreds of requests per second).
        try:
            return await self._once(body, tokens)
        except _Retryable as exc:
            first = exc
        if self.max_retries < 1:
            self.stats["failed"] += 1
            raise RequestFailed(str(first)) from None
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        await asyncio.sleep(self._delay(first, 1))
        try:
            async for attempt in retrying:
                with attempt:
                    self.stats["retries"] += 1
                    return await self._once(body, tokens)
        except _Retryable as exc:
            self.stats["failed"] += 1
            raise RequestFailed(f"{exc} (after {self.max_retries + 1} attempts)") from None
        raise AssertionError("unreachable")

    def _wait(self, state) -> float:
        """tenacity's wait hook; its attempt 1 is our second (the first went without it)."""
        exc = state.outcome.exception() if state.outcome else None
        return self._delay(exc, state.attempt_number + 1)

    def _delay(self, exc: BaseException | None, failed_attempts: int) -> float:
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, 600.0) + random.uniform(0, 0.1)
        # Exponential backoff with jitter (0.5, 1, 2, 4 ... s, capped), as tenacity's
        # wait_exponential_jitter computes it; spelled out to work across tenacity versions.
        return min(self.max_backoff, self.backoff * 2 ** (failed_attempts - 1)) + random.uniform(0, self.backoff)

    async def _once(self, body: bytes, tokens: int) -> Completion:
        assert self._client is not None
        async with self._sem:
            if self._rpm is not None:
                await self._rpm.acquire()
            if self._tpm is not None:
                await self._tpm.acquire(min(tokens, self._tpm.max_rate))
            pause = self._pause_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            self.stats["requests"] += 1
            try:
                async with self._client.post(self._chat_url, data=body) as resp:
                    status, headers, raw = resp.status, resp.headers, await resp.read()
            except asyncio.TimeoutError:
                raise _Retryable(f"timeout (no reply within {self.timeout:g}s)") from None
            except aiohttp.ClientError as exc:
                raise _Retryable(f"connection error ({type(exc).__name__}: {self._scrub(str(exc))})") from None
        return self._parse(status, headers, raw, body)

    def _parse(self, status: int, headers, raw: bytes, body: bytes) -> Completion:
        text_body = raw.decode("utf-8", errors="replace")
        if status != 200:
            detail = self._scrub(text_body[:300].strip())
            if status in RETRY_STATUS or status >= 500:
                retry_after = parse_retry_after(headers)
                if status == 429 and retry_after is not None:
                    self._pause_until = max(self._pause_until, time.monotonic() + retry_after)
                raise _Retryable(f"HTTP {status}: {detail}", retry_after)
            if status in (401, 403):
                raise TeacherUnavailable(f"{self.base_url} rejected the API key from ${self.api_key_env} (HTTP {status}): {detail}")
            if status == 404:
                served = f"; it serves: {', '.join(self.served[:20])}" if getattr(self, "served", None) else ""
                raise TeacherUnavailable(f"{self.base_url} does not serve model {self.model!r} (HTTP 404){served}")
            self.stats["failed"] += 1
            raise RequestFailed(f"HTTP {status}: {detail}")
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            text = choice["message"].get("content")
            finish = choice.get("finish_reason") or "stop"
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise _Retryable(f"malformed reply ({type(exc).__name__}): {self._scrub(text_body[:120])!r}") from None
        if text is None and finish != "content_filter":
            raise _Retryable("malformed reply: message has no content")
        text = text or ""
        usage = data.get("usage") or {}
        prompt_tokens = usage.get("prompt_tokens")
        if not isinstance(prompt_tokens, int):
            prompt_tokens = sum(estimate_tokens(m["content"]) for m in json.loads(body)["messages"])
        completion_tokens = usage.get("completion_tokens")
        if not isinstance(completion_tokens, int):
            completion_tokens = estimate_tokens(text)
        return Completion(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=str(finish),
            model=str(data.get("model") or self.model),
        )

    # -- the synchronous ChatModel interface -------------------------------------------------
    def chat(self, batch: list[list[Message]], params: SamplingParams) -> list[Completion]:
        """Answer a batch concurrently; a request that fails for good comes back with
        `finish_reason="error"` and empty text instead of sinking the batch."""

        async def run() -> list[Completion]:
            await self.open()
            try:
                results = await asyncio.gather(*(self.achat(m, params) for m in batch), return_exceptions=True)
            finally:
                await self.aclose()
            out = []
            for r in results:
                if isinstance(r, TeacherUnavailable):
                    raise r
                if isinstance(r, BaseException) and not isinstance(r, RequestFailed):
                    raise r
                out.append(Completion(text="", finish_reason="error", model=self.model) if isinstance(r, RequestFailed) else r)
            return out

        return run_sync(run())


def _limiter(per_minute: float | None) -> AsyncLimiter | None:
    """A smooth per-minute limiter: at most one minute's quota at once, spread evenly."""
    if not per_minute:
        return None
    if per_minute >= 60:
        return AsyncLimiter(per_minute / 60, 1)
    return AsyncLimiter(1, 60 / per_minute)


def openai_backend(arg: str, **options: Any) -> ChatModel:
    return OpenAIChat(arg, **options)

"""A canary API key never appears in any file or log the tool writes."""

from __future__ import annotations

from pathlib import Path

from tests.fake_openai_server import FakeOpenAIServer
from tests.teacher_cli import cli_env, run_cli, teacher_args

CANARY = "sk-canary-7f3a9c1e5b2d4f6a8c0e"


def every_byte_written(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_the_key_is_sent_to_the_server_and_written_nowhere(tmp_path):
    out = tmp_path / "run" / "answers.jsonl"
    env = cli_env(TEACHER_KEY=CANARY)
    with FakeOpenAIServer(api_key=CANARY, lifetime=60, fault_rate=0.3, fault_kinds=("429", "500", "malformed"),
                          retry_after="0.1") as srv:
        args = teacher_args(srv.base_url, out, "-t", "kb_recall,arithmetic", "-s", "recall-then-generate-2call", "-n", 4,
                            "--api-key-env", "TEACHER_KEY", "--max-retries", 8)
        ok = run_cli(*args, env=env)
        dry = run_cli(*args, "--dry-run", env=env)
        assert ok.returncode == 0 and dry.returncode == 0, ok.stderr
        assert all(r["fault"] != "401" for r in srv.requests)  # the server did get the key
    written = every_byte_written(tmp_path)
    assert (tmp_path / "run" / "answers.cache.sqlite").exists() and (tmp_path / "run" / "answers.stats.json").exists()
    for blob in (written, ok.stdout.encode(), ok.stderr.encode(), dry.stdout.encode(), dry.stderr.encode()):
        assert CANARY.encode() not in blob and CANARY[8:].encode() not in blob


def test_a_server_that_echoes_the_key_back_does_not_get_it_logged(tmp_path):
    out = tmp_path / "answers.jsonl"
    # The server expects another key and, like OpenAI, quotes the one it was given.
    with FakeOpenAIServer(api_key="the-right-key", lifetime=60) as srv:
        r = run_cli(*teacher_args(srv.base_url, out, "-t", "comparison", "-s", "direct-answer", "-n", 2,
                                  "--api-key-env", "TEACHER_KEY"), env=cli_env(TEACHER_KEY=CANARY))
    assert r.returncode == 2 and "rejected the API key from $TEACHER_KEY" in r.stderr
    assert CANARY not in r.stdout + r.stderr
    assert CANARY.encode() not in every_byte_written(tmp_path)


def test_a_key_inside_an_error_body_of_a_failed_request_is_scrubbed(tmp_path):
    out = tmp_path / "answers.jsonl"

    class Echo(FakeOpenAIServer):
        async def _chat(self, req, path, writer):  # a 400 whose body repeats the request's key
            self.requests.append({"path": path, "body": req, "fault": "400", "t": 0})
            return await self._send(writer, 400, {"error": {"message": f"bad request from {CANARY}"}})

    with Echo(lifetime=60) as srv:
        r = run_cli(*teacher_args(srv.base_url, out, "-t", "comparison", "-s", "direct-answer", "-n", 2,
                                  "--api-key-env", "TEACHER_KEY"), env=cli_env(TEACHER_KEY=CANARY))
    assert r.returncode == 4  # answers failed
    assert "bad request from ***" in out.read_text()  # the failure is recorded, the key is not
    assert "first error: answer: HTTP 400" in r.stdout and "bad request from ***" in r.stdout  # shown, scrubbed
    assert CANARY.encode() not in every_byte_written(tmp_path) and CANARY not in r.stdout + r.stderr

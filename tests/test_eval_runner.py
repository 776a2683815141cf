"""The eval runner: per task × system condition, per-sample records, scores, resume, scoring seam."""

from __future__ import annotations

import json

import pytest

from cautious.errors import UserError
from cautious.evaluate import ScoringContext, parse_conditions, run_eval
from cautious.evaluate.metrics import Metric, Score, ScorePair, register_metric
from cautious.evaluate.runner import RECORDS_FILE, RUN_FILE, SCORES_FILE, load_records
from cautious.models.base import ChatModel, Completion, SamplingParams, load_model
from cautious.records import Example, Message
from cautious.strategies import load_catalog
from cautious.tasks import resolve_tasks
from cautious.tasks.base import Task


class Counting(ChatModel):
    """Wraps a model and counts the conversations it was asked."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner, self.name, self.asked = inner, inner.name, 0
        self.seen: list[list[Message]] = []
        self.batches: list[int] = []

    def chat(self, batch, params):
        self.asked += len(batch)
        self.batches.append(len(batch))
        self.seen.extend(batch)
        return self.inner.chat(batch, params)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def lab(catalog, spec="lab:step-by-step") -> Counting:
    return Counting(load_model(spec, strategies=catalog))


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_lab_teacher_both_conditions_recorded_separately(tmp_path, catalog):
    model = lab(catalog)
    tasks = resolve_tasks("arithmetic,shuffled_objects")
    result = run_eval(model, tasks, parse_conditions("empty,cautious"), tmp_path, n=6, batch_size=4, catalog=catalog)
    records = load_records(tmp_path / RECORDS_FILE)
    assert len(records) == 2 * 2 * 6 and model.asked == 24
    by_cond = {c: [r for r in records if r.condition == c] for c in ("empty", "cautious")}
    assert {r.system for r in by_cond["empty"]} == {""}
    assert {r.messages[0].content for r in by_cond["empty"]} == {""}  # an empty system turn is sent
    assert all(r.system.startswith("You are a careful assistant") for r in by_cond["cautious"])
    for r in records:
        assert r.correct and r.correct_flexible and r.parsed and r.strategy == "step-by-step" and r.strategy_method == "shape"
        assert r.completion_tokens > 0 and r.split == "test" and r.model == "lab:step-by-step"
    scores = {(s.task, s.condition): s for s in result.scores}
    assert set(scores) == {(t, c) for t in ("arithmetic", "shuffled_objects") for c in ("empty", "cautious")}
    s = scores[("arithmetic", "cautious")]
    assert (s.n, s.strict, s.flexible, s.parse_rate, s.strategies) == (6, 1.0, 1.0, 1.0, {"step-by-step": 1.0})
    saved = json.loads((tmp_path / SCORES_FILE).read_text())["scores"]
    assert len(saved) == 4 and saved[0]["mean_output_tokens"] > 5
    run = json.loads((tmp_path / RUN_FILE).read_text())
    assert run["conditions"] == {"empty": "", "cautious": by_cond["cautious"][0].system}
    assert run["tasks"]["arithmetic"]["max_new_tokens"] == 512


def test_batches_are_filled_across_tasks_and_conditions(tmp_path, catalog):
    """24 prompts (2 tasks x 2 conditions x 6) at batch 10 are 3 calls of 10, 10 and 4, not
    four part-filled calls of 6: a task x condition smaller than the batch does not shrink it.
    Every record still lands under its own task and condition, in the file's work order."""
    model = lab(catalog)
    tasks = resolve_tasks("arithmetic,comparison")
    run_eval(model, tasks, parse_conditions("empty,cautious"), tmp_path, n=6, batch_size=10, catalog=catalog)
    assert model.batches == [10, 10, 4]
    records = load_records(tmp_path / RECORDS_FILE)
    assert [(r.task, r.condition) for r in records][::6] == [("arithmetic", "empty"), ("arithmetic", "cautious"),
                                                             ("comparison", "empty"), ("comparison", "cautious")]
    assert all(r.correct for r in records)
    assert all(r.messages[0].content == ("" if r.condition == "empty" else r.system) for r in records)


def test_direct_answer_model_scored_and_labelled(tmp_path, catalog):
    result = run_eval(lab(catalog, "lab"), resolve_tasks("comparison"), parse_conditions("empty"), tmp_path, n=5, catalog=catalog)
    [s] = result.scores
    assert s.strategies == {"direct-answer": 1.0} and s.strict == 1.0


def test_resume_skips_finished_samples(tmp_path, catalog):
    tasks = resolve_tasks("arithmetic")
    conds = parse_conditions("empty,cautious")
    first = lab(catalog)
    run_eval(first, tasks, conds, tmp_path, n=5, catalog=catalog)
    path = tmp_path / RECORDS_FILE
    lines = path.read_text().splitlines(keepends=True)
    assert len(lines) == 10
    # simulate a crash: two records missing and a torn half-line at the end
    path.write_text("".join(lines[:8]) + lines[8][:40])
    again = lab(catalog)
    result = run_eval(again, tasks, conds, tmp_path, n=5, catalog=catalog)
    assert again.asked == 2 and result.new_records == 2 and result.skipped == 8
    records = load_records(path)
    assert len(records) == 10 and len({(r.condition, r.example_id) for r in records}) == 10
    third = lab(catalog)
    run_eval(third, tasks, conds, tmp_path, n=5, catalog=catalog)
    assert third.asked == 0
    # a larger -n adds only the new examples; a new condition only its own samples
    fourth = lab(catalog)
    run_eval(fourth, tasks, parse_conditions("empty,cautious,orca2"), tmp_path, n=6, catalog=catalog)
    assert fourth.asked == 2 + 6


def test_folder_of_another_model_or_condition_text_is_refused(tmp_path, catalog):
    tasks = resolve_tasks("arithmetic")
    run_eval(lab(catalog), tasks, parse_conditions("empty"), tmp_path, n=2, catalog=catalog)
    with pytest.raises(UserError, match="model='lab:step-by-step'"):
        run_eval(lab(catalog, "lab"), tasks, parse_conditions("empty"), tmp_path, n=2, catalog=catalog)
    with pytest.raises(UserError, match="split='test'"):
        run_eval(lab(catalog), tasks, parse_conditions("empty"), tmp_path, n=2, split="dev", catalog=catalog)
    (tmp_path / "sys.txt").write_text("Be brief.")
    run_eval(lab(catalog), tasks, parse_conditions(f"@{tmp_path / 'sys.txt'}"), tmp_path, n=2, catalog=catalog)
    (tmp_path / "sys.txt").write_text("Be long.")
    with pytest.raises(UserError, match="condition 'sys' was run with a different system message"):
        run_eval(lab(catalog), tasks, parse_conditions(f"@{tmp_path / 'sys.txt'}"), tmp_path, n=2, catalog=catalog)


def test_malformed_records_file_names_the_line(tmp_path, catalog):
    run_eval(lab(catalog), resolve_tasks("arithmetic"), parse_conditions("empty"), tmp_path, n=3, catalog=catalog)
    path = tmp_path / RECORDS_FILE
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "{not json", lines[1]]) + "\n")
    with pytest.raises(UserError, match=r"records.jsonl:2: malformed JSON"):
        run_eval(lab(catalog), resolve_tasks("arithmetic"), parse_conditions("empty"), tmp_path, n=3, catalog=catalog)


class Flaky(ChatModel):
    """Fails (finish_reason="error", as the openai backend reports a request that failed for good) on demand."""

    name = "flaky"

    def __init__(self, fail: bool) -> None:
        self.fail = fail

    def chat(self, batch, params):
        return [Completion(text="", finish_reason="error") if self.fail else Completion(text="Final answer: 5", completion_tokens=3) for _ in batch]


def test_failed_requests_are_recorded_then_retried(tmp_path):
    tasks = resolve_tasks("arithmetic")
    result = run_eval(Flaky(True), tasks, parse_conditions("empty"), tmp_path, n=3)
    [s] = result.scores
    assert (s.n, s.errors, s.strict) == (0, 3, None)
    assert all(r.error == "request failed" for r in load_records(tmp_path / RECORDS_FILE))
    result = run_eval(Flaky(False), tasks, parse_conditions("empty"), tmp_path, n=3)
    [s] = result.scores
    assert (s.n, s.errors) == (3, 0) and result.new_records == 3


class TwoTurn(Task):
    name = "two_turn"
    answer_type = "text"

    def examples(self, split="test", n=None, seed=0):
        return [Example(id=f"tt/{i}", task=self.name, input=f"first {i}", target="x", metric="echo_turns",
                        meta={"turns": [f"first {i}", f"second {i}"]}) for i in range(n or 2)]


@register_metric("echo_turns")
class EchoTurns(Metric):
    """A stand-in for an LLM judge: scores from every turn's output, with details recorded."""

    label = "turns seen"
    percent = False

    def score(self, examples, outputs, ctx):
        assert ctx.judge == "stub-judge"
        return [ScorePair(Score(float(len(o.turns)), parsed=True, details={"judge": ctx.judge}), Score(float(len(o.turns)), parsed=True))
                for o in outputs]


class Echo(ChatModel):
    name = "echo"

    def chat(self, batch, params):
        return [Completion(text=f"re: {m[-1].content} ({len(m)} msgs)", completion_tokens=2) for m in batch]


def test_multi_turn_examples_and_a_registered_metric(tmp_path):
    ctx = ScoringContext(judge="stub-judge")
    result = run_eval(Echo(), [TwoTurn()], parse_conditions("empty"), tmp_path, n=2, ctx=ctx)
    [s] = result.scores
    assert s.strict == 2.0 and s.info["percent"] is False and s.info["label"] == "turns seen"
    rec = load_records(tmp_path / RECORDS_FILE)[0]
    assert rec.meta["turn_outputs"][0].startswith("re: first") and rec.output == f"re: second {rec.example_id[-1]} (4 msgs)"
    assert [m.role for m in rec.messages] == ["system", "user", "assistant", "user"]
    assert rec.meta["scoring"]["strict"] == {"judge": "stub-judge"} and rec.completion_tokens == 4


class OwnScore(Task):
    """A task that scores its outputs itself (the `Task.score` hook)."""

    name = "own_score"
    answer_type = "text"

    def examples(self, split="test", n=None, seed=0):
        return [Example(id="o/1", task=self.name, input="say hi", target="hi")]

    def score(self, examples, outputs, ctx):
        return [ScorePair(Score(0.25, "hi", True, False), Score(0.5, "hi", True, False)) for _ in outputs]


def test_task_score_hook_wins(tmp_path):
    [s] = run_eval(Echo(), [OwnScore()], parse_conditions("empty"), tmp_path).scores
    assert (s.strict, s.flexible) == (0.25, 0.5)


def test_tiny_hf_llama_end_to_end_with_resume(tmp_path):
    pytest.importorskip("transformers")
    from tiny_hf import make_tiny_llama

    path = make_tiny_llama(tmp_path / "ckpt")
    tasks = resolve_tasks("arithmetic,comparison")
    conds = parse_conditions("empty,cautious")
    model = Counting(load_model(f"hf:{path}"))
    out = tmp_path / "eval"
    result = run_eval(model, tasks, conds, out, n=3, batch_size=2, max_new_tokens=5)
    records = load_records(out / RECORDS_FILE)
    assert len(records) == 12 and model.asked == 12
    assert {(r.task, r.condition) for r in records} == {(t, c) for t in ("arithmetic", "comparison") for c in ("empty", "cautious")}
    assert all(r.completion_tokens <= 5 and r.prompt_tokens > 0 and r.model == f"hf:{path}" for r in records)
    assert all(r.finish_reason in ("stop", "length") for r in records)
    assert {s.condition for s in result.scores} == {"empty", "cautious"}
    again = Counting(load_model(f"hf:{path}"))
    assert run_eval(again, tasks, conds, out, n=3, batch_size=2, max_new_tokens=5).new_records == 0 and again.asked == 0


class FailsSome(ChatModel):
    """The lab teacher, except that every `every`-th conversation it is asked fails."""

    name = "lab"

    def __init__(self, catalog, every: int | None) -> None:
        self.inner = load_model("lab", strategies=catalog)
        self.every, self.asked = every, 0

    def chat(self, batch, params):
        out = []
        for conv in batch:
            self.asked += 1
            failed = self.every is not None and self.asked % self.every == 0
            out.append(Completion(text="", finish_reason="error") if failed else self.inner.chat([conv], params)[0])
        return out


def test_a_run_with_failures_retried_ends_with_the_file_of_an_uninterrupted_run(tmp_path, catalog):
    """Failed records are dropped and asked again on resume, and the file is put back in work
    order, so the end state does not depend on what failed along the way."""
    tasks, conds = resolve_tasks("arithmetic,comparison"), parse_conditions("empty,cautious")
    run_eval(FailsSome(catalog, None), tasks, conds, tmp_path / "clean", n=6, batch_size=4)
    run_eval(FailsSome(catalog, 3), tasks, conds, tmp_path / "flaky", n=6, batch_size=4)
    assert any(r.error for r in load_records(tmp_path / "flaky" / RECORDS_FILE))
    run_eval(FailsSome(catalog, None), tasks, conds, tmp_path / "flaky", n=6, batch_size=4)
    clean, resumed = ((tmp_path / d / RECORDS_FILE).read_text() for d in ("clean", "flaky"))
    assert resumed == clean

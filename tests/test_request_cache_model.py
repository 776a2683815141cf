"""Any model behind the request cache: select, eval and judges ask only what they have not asked."""

from __future__ import annotations

from cautious.evaluate import parse_conditions, run_eval
from cautious.models.base import Completion, SamplingParams, load_model
from cautious.records import Message
from cautious.request_cache import CachingModel
from cautious.strategies import load_catalog
from cautious.tasks import resolve_tasks

CATALOG = load_catalog()


class Counting:
    """A lab model that counts the conversations it is asked."""

    def __init__(self, fail: bool = False) -> None:
        self.inner = load_model("lab:step-by-step", CATALOG)
        self.name = self.inner.name
        self.asked = 0
        self.fail = fail

    def chat(self, batch, params):
        self.asked += len(batch)
        if self.fail:
            return [Completion(text="", finish_reason="error") for _ in batch]
        return self.inner.chat(batch, params)

    def close(self) -> None:
        pass


def test_a_second_evaluation_into_a_new_folder_is_answered_from_the_cache(tmp_path):
    tasks, conds = resolve_tasks("arithmetic"), parse_conditions("empty")
    first = Counting()
    a = run_eval(CachingModel(first, tmp_path / "cache.sqlite"), tasks, conds, tmp_path / "a", n=6)
    again = Counting()
    b = run_eval(CachingModel(again, tmp_path / "cache.sqlite"), tasks, conds, tmp_path / "b", n=6)
    assert first.asked == 6 and again.asked == 0
    assert [s.strict for s in a.scores] == [s.strict for s in b.scores] == [1.0]


def test_failed_requests_and_unseeded_samples_are_not_cached(tmp_path):
    msgs = [[Message(role="user", content="What is 2 + 3?")]]
    failing = Counting(fail=True)
    CachingModel(failing, tmp_path / "c.sqlite").chat(msgs, SamplingParams())
    retried = Counting()
    model = CachingModel(retried, tmp_path / "c.sqlite")
    model.chat(msgs, SamplingParams())
    assert retried.asked == 1  # the failure was asked again
    model.chat(msgs, SamplingParams(temperature=0.7))
    model.chat(msgs, SamplingParams(temperature=0.7))
    assert retried.asked == 3  # each unseeded draw is new
    model.chat(msgs, SamplingParams(temperature=0.7, seed=1))
    model.chat(msgs, SamplingParams(temperature=0.7, seed=1))
    assert retried.asked == 4  # a seeded draw is a request like any other


def test_the_select_and_eval_commands_take_a_cache(cli, tmp_path):
    cache = tmp_path / "probe.sqlite"
    args = ["select", "--probe", "lab", "-t", "arithmetic", "-n", "3", "--strategies", "direct-answer,step-by-step", "--cache", cache]
    code, _, err = cli(*args, "-o", tmp_path / "s1")
    assert code == 0, err
    assert cache.exists() and cache.stat().st_size > 0
    code, _, err = cli("eval", "-m", "lab", "-t", "arithmetic", "-n", "3", "--cache", tmp_path / "eval.sqlite", "-o", tmp_path / "e")
    assert code == 0, err
    assert (tmp_path / "eval.sqlite").exists()
    code, _, err = cli("eval", "-m", "lab", "-t", "arithmetic", "-n", "3", "--cache", tmp_path / "e" / "records.jsonl", "-o", tmp_path / "e")
    assert code == 2 and "records.jsonl: is also an output of this run (records.jsonl); give --cache another path" in err


def test_a_judge_with_a_cache_is_asked_through_it(tmp_path):
    from cautious.judge.base import JudgeConfig, load_judge_model

    judge = load_judge_model(JudgeConfig(model="lab", cache=tmp_path / "judge.sqlite"))
    assert isinstance(judge, CachingModel) and judge.name == "lab"
    judge.chat([[Message(role="user", content="What is 2 + 3?")]], SamplingParams(seed=0))
    assert len(judge.cache) == 1
    judge.close()
    assert not isinstance(load_judge_model(JudgeConfig(model="lab")), CachingModel)


def test_the_wrapper_hides_the_async_entry_points_that_would_go_around_the_cache(tmp_path):
    class AsyncModel(Counting):
        async def achat(self, batch, params):  # pragma: no cover - must not be reachable
            raise AssertionError("asked around the cache")

    model = CachingModel(AsyncModel(), tmp_path / "c.sqlite")
    assert not hasattr(model, "achat") and model.name == "lab:step-by-step"

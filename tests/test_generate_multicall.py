"""Multi-call strategies: each call's reply feeds the next, and every call is recorded."""

from __future__ import annotations

from cautious.generate import GenerateConfig, generate, item_hash
from cautious.lab import families
from cautious.models.base import ChatModel, SamplingParams, load_model
from cautious.strategies import get_strategy, load_catalog, load_strategy_file
from tests.fake_openai_server import FakeOpenAIServer, lab_reply
from tests.teacher_cli import invoke, read_jsonl, teacher_args

EXPLAIN_THEN_ANSWER = """\
- name: explain-then-answer-2call
  description: Explain in one call; answer from the explanation in a second call.
  sections: [explanation, answer]
  teacher_instruction: Explain what the question asks, then answer it.
  response_template: "{explain}\\n{answer}"
  steps:
    - name: explain
      sections: [explanation]
      system: Explain in one or two sentences what the question asks and the idea that settles it. Do not answer it.
    - name: answer
      sections: [answer]
      user: "{input}\\n\\nExplanation:\\n{explain}"
      system: "Answer the question using the explanation given with it. Reply with one line: Final answer: <answer>"
"""


def test_recall_feeds_the_answer_call_over_http(tmp_path):
    out = tmp_path / "a.jsonl"
    with FakeOpenAIServer(lifetime=60) as srv:
        r = invoke(*teacher_args(srv.base_url, out, "-t", "kb_recall", "-s", "recall-then-generate-2call", "-n", 8))
        assert r.returncode == 0, r.stderr
        seen = srv.chat_requests()
    records = read_jsonl(out)
    assert len(records) == 8 and len(seen) == 16  # two requests per answer
    for rec in records:
        recall, answer = rec["calls"]
        assert (recall["step"], answer["step"]) == ("recall", "answer")
        assert recall["response"].strip() in answer["messages"][1]["content"]  # the first reply fed the second call
        assert rec["response"] == recall["response"].strip() + "\n" + answer["response"].strip()
        assert rec["correct"] and rec["error"] is None
        assert rec["messages"][0]["content"].startswith("Two calls")  # the logical instruction erase replaces
        assert len({recall["request_hash"], answer["request_hash"], rec["request_hash"]}) == 3


def test_a_user_defined_explain_then_answer_strategy(tmp_path):
    strategies = tmp_path / "mine.yaml"
    strategies.write_text(EXPLAIN_THEN_ANSWER)
    catalog = load_catalog([strategies])
    out = tmp_path / "a.jsonl"
    with FakeOpenAIServer(lifetime=60, reply=lab_reply(catalog)) as srv:
        r = invoke(*teacher_args(srv.base_url, out, "-t", "comparison,arithmetic", "-s", "explain-then-answer-2call",
                                 "--strategies-file", strategies, "-n", 5))
        assert r.returncode == 0, r.stderr
        assert len(srv.chat_requests()) == 20
    for rec in read_jsonl(out):
        explain, answer = rec["calls"]
        assert explain["response"].startswith("Explanation:") and "Explanation:" in answer["messages"][1]["content"]
        assert rec["response"].startswith("Explanation:") and "\nFinal answer: " in rec["response"] and rec["correct"]


def test_a_run_killed_between_calls_resends_only_the_later_call(tmp_path):
    out = tmp_path / "a.jsonl"
    args = ("-t", "kb_recall", "-s", "recall-then-generate-2call", "-n", 6, "--max-retries", 0)
    with FakeOpenAIServer(lifetime=60) as srv:
        srv.always["Facts recalled"] = "500"  # every answer call fails: recalls are paid, answers not
        assert invoke(*teacher_args(srv.base_url, out, *args)).returncode == 4  # 4: answers failed
        assert all(rec["error"].startswith("request failed: answer:") for rec in read_jsonl(out))
        recalls = len(srv.chat_requests())
        srv.always.clear()
        assert invoke(*teacher_args(srv.base_url, out, *args)).returncode == 0
        later = srv.chat_requests()[recalls:]
    assert len(later) == 6 and all("Facts recalled" in q["body"]["messages"][1]["content"] for q in later)
    assert all(rec["correct"] and rec["error"] is None for rec in read_jsonl(out))


def test_editing_a_later_call_changes_the_identity_of_the_answer(tmp_path):
    strategy = get_strategy("recall-then-generate-2call")
    ex = families()["kb_recall"].examples("train", 1, seed=0)[0]
    edited = strategy.model_copy(deep=True)
    edited.steps[1].system += " Be brief."
    params = SamplingParams()
    assert item_hash("m", strategy, ex, params) != item_hash("m", edited, ex, params)
    assert item_hash("m", strategy, ex, params) == item_hash("m", strategy, ex, params)


class CountingModel(ChatModel):
    """The lab teacher, noting the size of every batch it is given."""

    def __init__(self) -> None:
        self.inner = load_model("lab")
        self.name = "counting"
        self.batches: list[int] = []

    def chat(self, batch, params):
        self.batches.append(len(batch))
        return self.inner.chat(batch, params)


def test_local_batched_teachers_keep_their_batch_size_across_calls(tmp_path):
    model = CountingModel()
    examples = families()["kb_recall"].examples("train", 20, seed=0)
    result = generate(model, [(get_strategy("recall-then-generate-2call"), examples)],
                      GenerateConfig(out=tmp_path / "a.jsonl", batch_size=8))
    assert sum(model.batches) == 40 and max(model.batches) == 8
    assert model.batches.count(8) >= 4  # full batches, not one request at a time
    assert result.summaries[0].n == 20 and result.summaries[0].accuracy == 1.0


def test_strategy_files_with_steps_load(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(EXPLAIN_THEN_ANSWER)
    [s] = load_strategy_file(path)
    assert [c.name for c in s.calls()] == ["explain", "answer"]

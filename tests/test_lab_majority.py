"""What is specific to the majority family: the answer is the most frequent word by an
independent count, the step-by-step trace is the running tally per word (the counting family's
format), and a list without a single most frequent word is not a question of the family."""

from collections import Counter

from cautious.lab import families
from cautious.lab.render import render_response

MAJORITY = families()["majority"]


def test_the_answer_is_the_most_frequent_word_by_an_independent_count():
    for ex in MAJORITY.examples("dev", 200, seed=3):
        words = ex.input.split(": ", 1)[1].rstrip("?").split(", ")
        counts = Counter(words).most_common()
        assert len(words) == 12 and len(counts) == 4
        assert counts[0][1] > counts[1][1]  # one clear winner (margin 1 by default)
        assert ex.choices[ex.label] == counts[0][0]


def test_step_by_step_is_one_word_a_line_with_that_words_running_count():
    problem = MAJORITY.parse("Which word appears most often in this list: fig, cat, fig, bus, cat, fig?")
    text = render_response(["steps", "answer"], MAJORITY.solve(problem))
    assert text.splitlines() == ["Step 1: fig, 1", "Step 2: cat, 1", "Step 3: fig, 2", "Step 4: bus, 1",
                                 "Step 5: cat, 2", "Step 6: fig, 3", "Final answer: fig"]


def test_a_list_with_a_tie_at_the_top_is_not_a_question_of_the_family():
    assert MAJORITY.parse("Which word appears most often in this list: fig, cat, fig, cat?") is None
    assert MAJORITY.parse("Which word appears most often in this list: fig?") is None


def test_margin_sets_the_lead_of_the_most_frequent_word():
    for ex in MAJORITY.examples("train", 100, seed=0, margin=3):
        counts = sorted(Counter(ex.meta["problem"]["items"]).values(), reverse=True)
        assert counts[0] - counts[1] >= 3

"""Final-answer extraction and checking against gold.

Every strategy's response ends with `Final answer: <answer>`; the teacher's answers are
verified with the same extraction the evaluator uses, so "correct" means the same thing at
generation time and at test time. Comparison depends on the example's answer type: numbers
compare as numbers, options by text or by letter, yes/no by polarity, free text after
normalisation (case, punctuation, articles, whitespace).
"""

from __future__ import annotations

import re
import string

from cautious.records import Example
from cautious.shapes import FINAL_ANSWER

_FINAL = re.compile(rf"{re.escape(FINAL_ANSWER)}\s*(?:is)?\s*[:：]?\s*(.+)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_LETTER = re.compile(r"^\(?([A-Z])\)?(?:[.):]|\s|$)")
_YES = {"yes", "true", "y", "correct"}
_NO = {"no", "false", "n", "incorrect"}


def extract_final_answer(text: str) -> str | None:
    """The text after the last `Final answer:` marker, cleaned of markdown and a trailing period."""
    matches = list(_FINAL.finditer(text))
    if not matches:
        return None
    lines = matches[-1].group(1).strip().splitlines()
    answer = lines[0].strip() if lines else ""  # "Final answer:" followed by spaces only
    answer = answer.strip("*_` ").strip()
    if answer.endswith(".") and not _NUMBER.fullmatch(answer):
        answer = answer[:-1].rstrip()
    return answer or None


def normalize_text(s: str) -> str:
    """SQuAD-style normalisation: lowercase, no punctuation, no articles, single spaces."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def parse_number(s: str) -> float | None:
    m = _NUMBER.search(s)
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", ""))
    except ValueError:
        return None


def to_choice_index(answer: str, choices: list[str]) -> int | None:
    """Map an answer to an option: by exact (normalised) text first, then by letter.

    A numeric answer matches numeric options by value: normalisation drops punctuation, so
    without this "16" would match the option "-16"."""
    if _NUMBER.fullmatch(answer.strip()):
        value = parse_number(answer)
        numeric = [i for i, c in enumerate(choices) if _NUMBER.fullmatch(c.strip())]
        for i in numeric:
            if parse_number(choices[i]) == value:
                return i
        if numeric:
            return None
    norm = normalize_text(answer)
    for i, choice in enumerate(choices):
        if normalize_text(choice) == norm:
            return i
    m = _LETTER.match(answer.strip())
    if m:
        idx = ord(m.group(1)) - ord("A")
        if 0 <= idx < len(choices):
            rest = answer.strip()[m.end():].strip()
            if not rest or normalize_text(rest) == normalize_text(choices[idx]):
                return idx
    return None


def is_correct(example: Example, answer: str | None) -> bool:
    """Whether an extracted answer matches the example's gold, by its answer type."""
    if answer is None:
        return False
    golds = [example.gold] + [t for t in example.meta.get("targets", []) if isinstance(t, str)]
    if example.choices is not None and example.label is not None:
        idx = to_choice_index(answer, example.choices)
        if idx is None:
            return False
        # BIG-bench ties: every top-scoring option is right (kept in meta by the loader).
        accepted = {normalize_text(c) for c in example.meta.get("correct_choices", [])}
        return idx == example.label or normalize_text(example.choices[idx]) in accepted
    if example.answer_type == "number":
        got = parse_number(answer)
        return got is not None and any(parse_number(g) == got for g in golds)
    if example.answer_type == "yes_no":
        a = normalize_text(answer).split(" ")[0] if answer.strip() else ""
        g = normalize_text(example.gold)
        return (a in _YES and g in _YES) or (a in _NO and g in _NO)
    return any(normalize_text(answer) == normalize_text(g) for g in golds)


def count_tokens(text: str) -> int:
    """A tokenizer-free length (words, numbers, punctuation marks) for programs that have no tokenizer."""
    return len(re.findall(r"\w+|[^\w\s]", text))

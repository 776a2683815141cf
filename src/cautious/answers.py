"""Final-answer extraction and checking against gold.

Every strategy's response ends with `Final answer: <answer>`; the teacher's answers are
verified with the same extraction the evaluator uses, so "correct" means the same thing at
generation time and at test time. Comparison depends on the example's answer type: numbers
compare as numbers, options by letter or by text (`option_key`: a normalisation that keeps
signs, operators, decimal points and currency), yes/no by polarity, free text after SQuAD
normalisation with those symbols still required to agree.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata

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
    lines = re.split(r"\r\n|\r|\n", matches[-1].group(1).strip())  # not splitlines(): sources hold \x1d, \x85
    answer = lines[0].strip() if lines else ""  # "Final answer:" followed by spaces only
    answer = answer.strip("*_` ").strip() or answer  # markdown around it; "**" alone is Python's power (MMLU)
    if answer.endswith(".") and not _NUMBER.fullmatch(answer):
        answer = answer[:-1].rstrip()
    return answer or None


def final_answer_lines(text: str) -> list[str]:
    """The lines from the last `Final answer:` marker's answer to the end of the text (for an
    option written over several lines); [] without a marker."""
    matches = list(_FINAL.finditer(text))
    return re.split(r"\r\n|\r|\n", text[matches[-1].start(1) :].strip()) if matches else []


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


# ---- options: a normalisation that keeps meaning ------------------------------------------
# SQuAD normalisation drops every punctuation mark, so options that differ only in a sign, an
# operator, a decimal point or a currency symbol (`+60`/`-60`, `<`/`=`, `4.2 ns`/`42 ns`,
# `$10.50`/`$1050`, `r = k [A]`/`r = k`) collapsed into one and the first silently won. Options
# are compared on `option_key` instead, which forgets only what carries no meaning.
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_ARTICLE = re.compile(r"(?<!\S)(?:a|an|the)(?!\S)", re.IGNORECASE)
_SPACE_BY_SYMBOL = re.compile(r"\s*([^\w\s])\s*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_QUOTES = ("\"\"", "''", "``", "$$")  # pairs around a whole answer; $...$ is LaTeX math
#: An answer that is only an option letter: `B`, `(B)`, `B.`, `B)`, `B:`.
_LETTER_ONLY = re.compile(r"^\(?([A-Z])\)?[.:)]?$")
#: An option letter followed by text: `B) text`, `(B) text`, `B. text`, `B: text`, `B text`.
_LETTER_THEN = re.compile(r"^\(?([A-Z])(?:\)\s*|[.:]\s+|\)?\s+)(\S.*)$", re.DOTALL)


# Cached: scoring one answer compares it with every option, and the same options come back for
# every output of an example (the gold check scores ~30 per example; MMLU spent most of its time here).
@functools.lru_cache(maxsize=1 << 16)
def option_key(s: str, articles: bool = False, case: bool = False) -> str:
    """What an option or an answer means, for comparing them: case, spacing, surrounding
    quotes and markdown, a sentence's closing punctuation, thousands separators and standalone
    articles, LaTeX's `$...$` around it all are dropped; signs, operators, decimal points,
    currency (`$10.50` keeps its `$`) and brackets are kept. `articles=True` and `case=True` keep
    those too, to tell apart options that differ only in them (TruthfulQA's "one small step for
    a man" against "for man"; MMLU's genotypes `Bb Bb` against `BB BB`, and `Sc ≡ Ej` against
    `sC ≡ eJ` in formal logic)."""
    s = unicodedata.normalize("NFKC", s).translate(_DASHES).strip()
    s = s if case else s.lower()
    s = s.strip("*_` ") or s  # markdown around it, unless that is all there is (`**`, `__init__`)
    while True:
        before = s
        if len(s) > 1 and s[-1] in ".!?;:,":
            s = s[:-1].rstrip()
        if len(s) >= 2 and s[0] + s[-1] in _QUOTES and s[0] not in s[1:-1]:  # quotes around it all
            s = s[1:-1].strip()
        if s == before:
            break
    s = _THOUSANDS.sub("", s)
    without_articles = _ARTICLE.sub(" ", s)
    if without_articles.strip() and not articles:
        s = without_articles
    s = _SPACE_BY_SYMBOL.sub(r"\1", s)
    return " ".join(s.split())


def letter_index(answer: str, n: int) -> int | None:
    """The option an answer names when it is only a letter (`B`, `(B)`, `B.`), else None."""
    m = _LETTER_ONLY.match(answer.strip())
    if m and ord(m.group(1)) - ord("A") < n:
        return ord(m.group(1)) - ord("A")
    return None


def choice_indices(answer: str, choices: list[str]) -> list[int]:
    """Every option `answer` names: one index, none, or several when it reads as more than one.

    In order: an answer that is only a letter is that option (a letter wins over option text
    only here, so `C` is option C even when another option reads `~~C`); then every option
    with the same `option_key` (two when the source repeats an option); then a numeric answer
    against numeric options by value (`16.0` is `16`, never `-16`); then a letter followed by
    that option's own text (`(B) yellow book`)."""
    idx = letter_index(answer, len(choices))
    if idx is not None:
        return [idx]
    key = option_key(answer)
    if not key:
        return []
    same = [i for i, choice in enumerate(choices) if option_key(choice) == key]
    if len(same) > 1:  # options that differ only in an article or in case: keep them, then compare
        for strict in ({"articles": True}, {"articles": True, "case": True}):
            exact = [i for i in same if option_key(choices[i], **strict) == option_key(answer, **strict)]
            if len(exact) == 1:
                return exact
            same = exact or same
        return same
    if same:
        return same
    if _NUMBER.fullmatch(answer.strip()):
        value = parse_number(answer)
        numeric = [i for i, c in enumerate(choices) if _NUMBER.fullmatch(c.strip())]
        same = [i for i in numeric if parse_number(choices[i]) == value]
        if same or numeric:
            return same
    m = _LETTER_THEN.match(answer.strip())
    if m:
        idx = ord(m.group(1)) - ord("A")
        if idx < len(choices) and option_key(m.group(2)) == option_key(choices[idx]):
            return [idx]
    return []


def to_choice_index(answer: str, choices: list[str]) -> int | None:
    """The one option `answer` names; None when it names none or reads as several."""
    found = choice_indices(answer, choices)
    return found[0] if len(found) == 1 else None


def option_answer(choices: list[str], idx: int) -> str:
    """How an extracted option is written down: its text, or `(B) text` when the text alone
    would name another option too (a repeated option, or a text that is also a letter), so
    that checking the written answer again finds the same option."""
    text = choices[idx]
    return text if choice_indices(text, choices) == [idx] else f"({chr(ord('A') + idx)}) {text}"


def accepted_choices(example: Example) -> set[int]:
    """The options that are right: the label, and every BIG-bench tie (`meta["correct_choices"]`)."""
    assert example.choices is not None and example.label is not None
    tied = set(example.meta.get("correct_choices", []))
    return {example.label} | {i for i, c in enumerate(example.choices) if c in tied}


# ---- free text ------------------------------------------------------------------------------
_SIGNATURE = re.compile(r"[+\-=<>\u2264\u2265\u2260$\u20ac\u00a3\u00a5%~\u00ac^*/\\|&#@]|(?<=\d)\.(?=\d)")


def same_text(answer: str, gold: str) -> bool:
    """Free-text equality: SQuAD normalisation, with the symbols it drops (signs, operators,
    decimal points, currency) still required to agree; a gold made only of symbols and articles
    (BBH dyck_languages' `) ] >`, a letter `(A)`) is compared on `option_key`, because SQuAD
    normalisation turns it into "" and every non-answer would match it."""
    norm = normalize_text(gold)
    if not norm:
        return bool(option_key(gold)) and option_key(answer) == option_key(gold)
    return normalize_text(answer) == norm and _signature(answer) == _signature(gold)


def _signature(s: str) -> list[str]:
    """The meaning-bearing symbols of a text, in order (what SQuAD normalisation would drop)."""
    return _SIGNATURE.findall(unicodedata.normalize("NFKC", s).translate(_DASHES))


def is_correct(example: Example, answer: str | None) -> bool:
    """Whether an extracted answer matches the example's gold, by its answer type.

    An answer that names several options (a repeated option's text) is right only when every
    option it names is right; otherwise it is ambiguous and scores wrong, never the first."""
    if answer is None:
        return False
    golds = [example.gold] + [t for t in example.meta.get("targets", []) if isinstance(t, str)]
    if example.choices is not None and example.label is not None:
        named = choice_indices(answer, example.choices)
        return bool(named) and set(named) <= accepted_choices(example)
    if example.answer_type == "number":
        got = parse_number(answer)
        return got is not None and any(parse_number(g) == got for g in golds)
    if example.answer_type == "yes_no":
        a = normalize_text(answer).split(" ")[0] if answer.strip() else ""
        g = normalize_text(example.gold)
        return (a in _YES and g in _YES) or (a in _NO and g in _NO)
    return any(same_text(answer, g) for g in golds)


def count_tokens(text: str) -> int:
    """A tokenizer-free length (words, numbers, punctuation marks) for programs that have no tokenizer."""
    return len(re.findall(r"\w+|[^\w\s]", text))

"""Which strategy did the model use? Label each output with the catalog strategy whose shape it has.

This is how we measure *cautious reasoning*: a student trained with prompt erasure never saw
the strategy instructions, so the only evidence that it learned to choose a strategy per task
is the shape of what it writes.

Two methods, tried in order:

1. **shape** (exact): the section headers the strategies ask for and the lab solver writes
   (`cautious.shapes`) — `Step k:`, `Explanation:`, `Recall:`, `Reasoning:`, `Extract:`,
   `Guess:`/`Check:`, `Final answer:` — at the start of a line. The sequence of sections
   (repeats collapsed, unheaded continuation lines ignored) is looked up among the catalog's
   `sections`; a match is that strategy, exactly (a shape cut off before its `Final answer:`
   line, e.g. truncated at the token limit, still counts). Strategies with the same shape cannot be
   told apart by their output (`recall-then-generate-2call` writes what `recall-then-generate`
   writes); the first one in catalog order is reported. Headers in a shape no strategy has
   give `other`.
2. **heuristic** (free text, for models that never learned the headers): cues in the text
   before the final answer, checked in this order —
   - *direct-answer*: at most 12 words besides the answer, on at most 2 lines;
   - *guess-and-check*: a guess/try cue and a check/verify cue ("let's try 620", "check:
     620 + 165 = 785 ... wrong");
   - *step-by-step*: 2+ enumerated lines (`1.`, `2)`, `Step 2`, bullets) or 2+ ordinal
     transitions (first, second, then, next, finally) at the start of sentences;
   - *recall-reason-generate* / *recall-then-generate*: a knowledge cue ("recall", "I know
     that", "we know that", "it is known", "remember", "by definition", "the facts are"),
     with / without an inference cue (therefore, thus, hence, so, which means) after it;
   - *extract-generate*: a quotation of 4+ words copied verbatim from the input, or an
     explicit cue ("according to the passage", "the text says", "relevant sentence");
   - *direct-answer*: otherwise, at most 12 words besides the answer, on at most 2 lines;
   - *explain-then-answer*: otherwise, prose of at most 4 sentences;
   - *other*: longer prose with none of the cues above.
   A heuristic label is a best guess and is reported as such (`strategy_method`).

`tests/test_eval_strategy_detection.py` prints the confusion matrix of both methods over lab
outputs of every strategy (headers for `shape`, a free-text paraphrase for `heuristic`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from cautious.records import Strategy
from cautious.shapes import (
    DIRECT_ANSWER,
    EXPLAIN_THEN_ANSWER,
    EXTRACT_GENERATE,
    GUESS_AND_CHECK,
    OTHER,
    RECALL_REASON_GENERATE,
    RECALL_THEN_GENERATE,
    SECTIONS,
    STEP_BY_STEP,
    UNKNOWN,
    header_pattern,
)
from cautious.strategies import load_catalog

#: Line-start patterns of each response section (`cautious.shapes`).
SECTION_HEADERS: dict[str, re.Pattern[str]] = {section: header_pattern(section) for section in SECTIONS}


@dataclass(frozen=True)
class Detection:
    strategy: str
    method: str  # "shape" | "heuristic" | "none"
    sections: tuple[str, ...] = ()


def section_sequence(text: str) -> tuple[str, ...]:
    """The headed sections of `text` in order, consecutive repeats collapsed."""
    seq: list[str] = []
    for line in text.splitlines():
        for section, pattern in SECTION_HEADERS.items():
            if pattern.match(line):
                if not seq or seq[-1] != section:
                    seq.append(section)
                break
    return tuple(seq)


def shapes_of(catalog: dict[str, Strategy]) -> dict[tuple[str, ...], str]:
    """Shape (sections) -> the first strategy in catalog order that has it."""
    shapes: dict[tuple[str, ...], str] = {}
    for name, strategy in catalog.items():
        shapes.setdefault(tuple(strategy.sections), name)
    return shapes


class StrategyDetector:
    """Labels outputs against one catalog (built-ins plus any user strategies)."""

    def __init__(self, catalog: dict[str, Strategy] | None = None) -> None:
        if catalog is None:
            catalog = load_catalog()
        self.catalog = catalog
        self.shapes = shapes_of(catalog)

    def detect(self, output: str, input_text: str = "") -> Detection:
        if not output.strip():
            return Detection(UNKNOWN, "none")
        seq = section_sequence(output)
        # A lone "Final answer:" after prose is not the direct-answer shape: let the heuristic judge the prose.
        if seq and (seq != ("answer",) or _body(output) == ""):
            # A shape cut short before its final line (truncated at max tokens) still shows the strategy.
            name = self.shapes.get(seq) or (self.shapes.get(seq + ("answer",)) if seq[-1] != "answer" else None)
            return Detection(name or OTHER, "shape", seq)
        return Detection(self._known(heuristic_strategy(output, input_text)), "heuristic", seq)

    def _known(self, name: str) -> str:
        return name if name in self.catalog or name == OTHER else OTHER


# ---- the free-text heuristic ---------------------------------------------------------------

_FINAL_LINE = re.compile(
    r"^\s*(?:\**\s*)?(?:the\s+)?(?:final\s+answer|answer)\s*(?:is)?\s*[:：]?.*$|^\s*(?:so|therefore|thus),?\s+the\s+(?:final\s+)?answer\s+is.*$",
    re.IGNORECASE | re.MULTILINE,
)
_GUESS = re.compile(r"\b(?:guess(?:ing)?|let(?:'s| us| me) try|try(?:ing)?\s+[\w$-]+|suppose|candidate|assume)\b", re.IGNORECASE)
_CHECK = re.compile(r"\b(?:check(?:ing|s)?|verif(?:y|ies|ied|ication)|substitut\w*|plug(?:ging)? (?:it )?(?:back|in)|test(?:ing)? it)\b", re.IGNORECASE)
_ENUM_LINE = re.compile(r"^\s*(?:\d+[.)]\s|step\s*\d+\b|[-*•]\s+\S)", re.IGNORECASE | re.MULTILINE)
_ORDINAL = re.compile(r"(?:^|[.!?]\s+|\n)\s*(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|then|next|after that|finally|lastly)\b", re.IGNORECASE)
_RECALL = re.compile(r"\b(?:recall(?:ing)?|i know that|we know that|it is (?:well )?known|remember(?:ing)?|by definition|the (?:relevant )?(?:facts?|rules?) (?:is|are)\b)", re.IGNORECASE)
_INFER = re.compile(r"\b(?:therefore|thus|hence|so|which means|it follows)\b", re.IGNORECASE)
_EXTRACT_CUE = re.compile(r"\b(?:according to the (?:passage|text|question|context)|the (?:passage|text|context) (?:says|states|mentions)|relevant (?:sentence|part|line|text)s?|quot(?:e|ing))\b", re.IGNORECASE)
_QUOTE = re.compile(r"[\"“]([^\"”]{3,})[\"”]")
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


def _body(text: str) -> str:
    """The output without its final-answer line(s): the part that shows a strategy."""
    return _FINAL_LINE.sub("", text).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _copies_input(body: str, input_text: str, min_words: int = 4) -> bool:
    """Whether a quoted span of `body` of at least `min_words` words appears verbatim in the input."""
    if not input_text:
        return False
    source = " ".join(_words(input_text))
    for quoted in _QUOTE.findall(body):
        words = _words(quoted)
        if len(words) >= min_words and " ".join(words) in source:
            return True
    return False


def heuristic_strategy(output: str, input_text: str = "") -> str:
    """Best-guess strategy name of a free-text output (see the module docstring for the rules)."""
    body = _body(output)
    words = _words(body)
    lines = [ln for ln in body.splitlines() if ln.strip()]
    if not words:
        # Nothing but the answer is a direct answer; a long run of symbols is a broken output.
        return DIRECT_ANSWER if len(output.strip()) <= 200 else OTHER
    if _GUESS.search(body) and _CHECK.search(body):
        return GUESS_AND_CHECK
    if len(_ENUM_LINE.findall(body)) >= 2 or len(_ORDINAL.findall(body)) >= 2:
        return STEP_BY_STEP
    recall = _RECALL.search(body)
    if recall:
        after = body[recall.end():]
        return RECALL_REASON_GENERATE if _INFER.search(after) else RECALL_THEN_GENERATE
    if _EXTRACT_CUE.search(body) or _copies_input(body, input_text):
        return EXTRACT_GENERATE
    if len(words) <= 12 and len(lines) <= 2:
        return DIRECT_ANSWER
    sentences = len(_SENTENCE_END.findall(body + " ")) or 1
    return EXPLAIN_THEN_ANSWER if sentences <= 4 else OTHER


# ---- reporting helpers ----------------------------------------------------------------------


def usage(labels: list[str]) -> dict[str, float]:
    """Share of each label, largest first."""
    counts = Counter(labels)
    total = sum(counts.values()) or 1
    return {name: n / total for name, n in counts.most_common()}


def confusion_matrix(true: list[str], pred: list[str]) -> tuple[list[str], list[str], list[list[int]]]:
    """(row labels, column labels, counts): rows are true strategies, columns predictions."""
    rows = list(dict.fromkeys(true))
    cols = rows + [p for p in dict.fromkeys(pred) if p not in rows]
    counts = Counter(zip(true, pred))
    return rows, cols, [[counts[(r, c)] for c in cols] for r in rows]


def format_confusion(rows: list[str], cols: list[str], matrix: list[list[int]]) -> str:
    """A plain-text confusion matrix (true strategy per row, detected per column)."""
    short = [c[:10] for c in cols]
    width = max(len(r) for r in rows) + 2
    out = [" " * width + " ".join(f"{c:>10}" for c in short)]
    for r, counts in zip(rows, matrix):
        out.append(f"{r:<{width}}" + " ".join(f"{n:>10}" for n in counts))
    return "\n".join(out)

"""Answer extraction from free-form generations: strict and flexible, per answer type.

Zero-shot models answer in prose, so an evaluator must find the answer before checking it —
and how hard it looks changes the score a lot (lm-eval PR #2034: Llama-3.1-8B-Instruct on
GSM8K is 0.20 strict vs 0.78 flexible). We report both, plus how often each found anything
(the parse rate, as the Orca 2 paper does):

- **strict** reads only the explicit final-answer phrase every strategy asks for
  (`Final answer: X`, also `The final answer is X`; the last one wins) and requires X to be
  interpretable for the answer type. It is the same rule `cautious generate` verifies
  teacher answers with (`cautious.generate.verify` calls `extract_strict`).
- **flexible** accepts looser forms. When a final-answer phrase exists, only its text is
  searched (an option named inside it, or its leading letter; a yes/no word in it), so a
  wrong explicit answer is never rescued by the working above it. Without one, the whole
  output is searched: the last number; the output that is exactly an option (or its
  letter); an option letter with a cue (`(B)`, `answer is B`); the option mentioned last;
  the first yes/no word; the last non-empty line (minus an `Answer:` prefix).

A user regex (`--answer-regex`) replaces strict extraction with lm-evaluation-harness's
`regex` filter semantics (first capture group of the selected `findall` match), which is how
our numbers are made comparable with an lm-eval task using the same regex.

Extractors are registered per (answer type, variant) in `EXTRACTORS`, so a task with a new
answer shape can add its own (`register_extractor`) without touching the runner.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from cautious.answers import (
    _NO,
    _YES,
    choice_indices,
    extract_final_answer,
    final_answer_lines,
    normalize_text,
    option_answer,
    parse_number,
)
from cautious.records import Example
from cautious.registry import Registry

Variant = Literal["strict", "flexible"]
VARIANTS: tuple[Variant, ...] = ("strict", "flexible")


@dataclass(frozen=True)
class Extraction:
    """What an extractor found. `answer` is canonical for the answer type (the option text for
    multiple choice, `(B) text` when the text alone names another option too; the number in
    plain digits; yes/no as written), None when nothing parsed; `raw` is the span it came from.
    `options` are the option indices a multiple-choice answer names: several when it reads as
    more than one (a repeated option's text), which `is_correct` then refuses unless all are
    right — the evaluator records them as ambiguous."""

    answer: str | None
    raw: str | None = None
    how: str = ""
    options: tuple[int, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return len(self.options) > 1

    @property
    def parsed(self) -> bool:
        return self.answer is not None


NOTHING = Extraction(None)
Extractor = Callable[[str, Example], Extraction]
#: Extractors by "answer_type/variant" (e.g. "number/strict"); the built-ins are listed at the end.
EXTRACTORS: Registry[Extractor] = Registry("extractor")

_NUMBER_ANY = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
# An option letter with a cue: "answer is B", "Answer: (B)", a line opening "(B)" or "B)", a
# line ending "(B)". The letter itself is case-sensitive so "the answer is a dog" is no "A".
_LETTER_CUE = re.compile(
    r"(?i:answer|option|choice)\s*(?i:is)?\s*:?\s*\(?([A-Z])\)?(?![\w'])|^\s*\(?([A-Z])\)(?!\w)|\(([A-Z])\)\s*$",
    re.MULTILINE,
)
# A lead-in to drop from an answer line: "The answer is", "Final answer:", "A:". Whole words
# only: without the word ends, "aisle" lost its "ais" (LAMBADA test rows 2180 and 4814).
_PREFIX = re.compile(r"^\s*(?:the\s+)?(?:final\s+)?(?:answer|a)\b\s*(?:is\b|:)\s*", re.IGNORECASE)


def register_extractor(answer_type: str, variant: Variant) -> Callable[[Extractor], Extractor]:
    """Decorator: the extractor for `answer_type` (see `cautious.records.AnswerType`) and variant."""

    def deco(fn: Extractor) -> Extractor:
        EXTRACTORS.register(f"{answer_type}/{variant}", fn)
        return fn

    return deco


def extract(text: str, example: Example, variant: Variant = "strict") -> Extraction:
    """Run the registered extractor for the example's answer type (choice when it has options)."""
    kind = "choice" if example.choices else example.answer_type
    key = f"{kind}/{variant}"
    fn = EXTRACTORS.get(key if key in EXTRACTORS else f"text/{variant}")
    return fn(text, example)


def final_answer(text: str) -> str | None:
    """The text of the last final-answer phrase; None when there is none or it is empty
    (`Final answer:` with nothing after it must not read as the answer ":")."""
    got = extract_final_answer(text)
    if got is None:
        return None
    got = got.lstrip(":： ").strip()
    return got or None


def extract_strict(text: str, example: Example | None = None) -> Extraction:
    """Strict extraction; without an example, the final-answer text as written."""
    if example is None:
        final = final_answer(text)
        return Extraction(final, final, "final-answer")
    return extract(text, example, "strict")


def extract_regex(text: str, pattern: str | re.Pattern[str], group_select: int = 0) -> Extraction:
    """lm-evaluation-harness's `regex` filter: `findall`, take match `group_select` (0 = first,
    -1 = last), the first non-empty group of a multi-group pattern, stripped; None if no match."""
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    matches = regex.findall(text)
    if not matches:
        return NOTHING
    try:
        match = matches[group_select]
    except IndexError:
        return NOTHING
    if isinstance(match, tuple):
        match = next((m for m in match if m), None)
        if match is None:
            return NOTHING
    return Extraction(match.strip(), match, "regex")


def canonical_number(s: str) -> str | None:
    value = parse_number(s)
    if value is None:
        return None
    return str(int(value)) if value.is_integer() else repr(value)


def _clean_line(line: str) -> str:
    line = _PREFIX.sub("", line.strip()).strip().strip("*_`\"' ").strip()
    if line.endswith(".") and not re.fullmatch(r"-?\d[\d,]*\.\d+", line):
        line = line[:-1].rstrip()
    return line


# ---- number -------------------------------------------------------------------------------


def number_strict(text: str, example: Example) -> Extraction:
    final = final_answer(text)
    if final is None:
        return NOTHING
    value = canonical_number(final)
    return Extraction(value, final, "final-answer") if value is not None else NOTHING


def number_flexible(text: str, example: Example) -> Extraction:
    got = number_strict(text, example)
    if got.parsed or final_answer(text) is not None:
        return got  # an explicit final answer is the answer, even when it is not a number
    numbers = _NUMBER_ANY.findall(text)
    if not numbers:
        return NOTHING
    value = canonical_number(numbers[-1])
    return Extraction(value, numbers[-1], "last-number") if value is not None else NOTHING


# ---- multiple choice ----------------------------------------------------------------------


def _option(example: Example, found: list[int], raw: str, how: str) -> Extraction:
    """The option(s) an answer names: one is written canonically; several (the answer reads as
    more than one option) keep the answer as written, so checking it again finds them all."""
    if not found or example.choices is None:
        return NOTHING
    if len(found) > 1:
        return Extraction(raw, raw, how, tuple(found))
    return Extraction(option_answer(example.choices, found[0]), raw, how, (found[0],))


def _mentioned_options(text: str, choices: list[str]) -> list[int]:
    """The option whose text occurs last in `text` as a whole phrase (case-insensitive); at
    equal end positions the longer option wins ("implausible" over "plausible" cannot happen
    thanks to word boundaries, "New York City" over "New York" can). Options with the same text
    tie: all of them are returned, never silently the first."""
    best: tuple[int, int] | None = None  # (end, length)
    found: list[int] = []
    low = text.lower()
    for i, choice in enumerate(choices):
        c = choice.strip().lower()
        if not c:
            continue
        for m in re.finditer(r"(?<!\w)" + re.escape(c) + r"(?!\w)", low):
            key = (m.end(), len(c))
            if best is None or key > best:
                best, found = key, [i]
            elif key == best and i not in found:
                found.append(i)
    return found


def choice_strict(text: str, example: Example) -> Extraction:
    final = final_answer(text)
    if final is None or not example.choices:
        return NOTHING
    found, final = _multiline_option(text, example.choices) or (choice_indices(final, example.choices), final)
    return _option(example, found, final, "final-answer")


def _multiline_option(text: str, choices: list[str]) -> tuple[list[int], str] | None:
    """An option written over several lines (MMLU high_school_computer_science row 28's code)
    is named by as many lines after the final-answer phrase as it has, before its first line
    alone (which may be another option's whole text); the strict rule reads one line otherwise,
    so that an explanation after the answer is never taken for it."""
    spans = sorted({len(re.split(r"\r\n|\r|\n", c.strip())) for c in choices} - {1}, reverse=True)
    tail = final_answer_lines(text) if spans else []
    for n in spans:
        candidate = "\n".join(tail[:n])
        found = choice_indices(candidate, choices)
        if found:
            return found, candidate
    return None


_LEADING_LETTER = re.compile(r"^\s*\(?([A-Z])\)?(?:[.):,]|\s|$)")


def choice_flexible(text: str, example: Example) -> Extraction:
    got = choice_strict(text, example)
    if got.parsed or not example.choices:
        return got
    choices = example.choices
    final = final_answer(text)
    if final is not None:  # an explicit final answer that is not exactly an option: look only inside it
        found = _mentioned_options(final, choices)
        if found:
            return _option(example, found, choices[found[0]], "option-in-final-answer")
        m = _LEADING_LETTER.match(final)
        if m and ord(m.group(1)) - ord("A") < len(choices):
            return _option(example, [ord(m.group(1)) - ord("A")], final, "letter-in-final-answer")
        return NOTHING
    # The output as written, then without a lead-in and quotes: `6'` (six feet, MMLU
    # miscellaneous row 167) is an option of its own, and stripping its quote made it `6`.
    for whole in dict.fromkeys((text.strip(), _clean_line(text))):
        found = choice_indices(whole, choices)
        if found:
            return _option(example, found, whole, "whole-output")
    cues = list(_LETTER_CUE.finditer(text))
    for m in reversed(cues):
        letter = next(g for g in m.groups() if g)
        idx = ord(letter) - ord("A")
        if 0 <= idx < len(choices):
            return _option(example, [idx], m.group(0), "letter")
    found = _mentioned_options(text, choices)
    return _option(example, found, choices[found[0]], "last-option-mentioned") if found else NOTHING


# ---- yes / no -----------------------------------------------------------------------------

_YES_NO_WORD = re.compile(r"\b(yes|no|true|false)\b", re.IGNORECASE)


def yes_no_strict(text: str, example: Example) -> Extraction:
    final = final_answer(text)
    if final is None:
        return NOTHING
    words = normalize_text(final).split()
    word = words[0] if words else ""
    return Extraction(word, final, "final-answer") if word in _YES | _NO else NOTHING


def yes_no_flexible(text: str, example: Example) -> Extraction:
    got = yes_no_strict(text, example)
    if got.parsed:
        return got
    final = final_answer(text)
    scope = final if final is not None else text  # an explicit final answer is searched alone
    words = normalize_text(scope).split()
    if words and words[0] in _YES | _NO:
        return Extraction(words[0], words[0], "first-word")
    m = _YES_NO_WORD.search(scope)
    return Extraction(m.group(1).lower(), m.group(0), "first-yes-no-word") if m else NOTHING


# ---- free text ----------------------------------------------------------------------------


def text_strict(text: str, example: Example) -> Extraction:
    final = final_answer(text)
    return Extraction(final, final, "final-answer") if final is not None else NOTHING


def text_flexible(text: str, example: Example) -> Extraction:
    got = text_strict(text, example)
    if got.parsed:
        return got
    lines = [ln for ln in re.split(r"\r\n|\r|\n", text.strip()) if ln.strip()]
    if not lines:
        return NOTHING
    last = _clean_line(lines[-1])
    return Extraction(last, lines[-1], "last-line") if last else NOTHING


# The built-in extractors: (answer type, strict, flexible).
for _kind, _strict, _flexible in (
    ("number", number_strict, number_flexible),
    ("choice", choice_strict, choice_flexible),
    ("yes_no", yes_no_strict, yes_no_flexible),
    ("text", text_strict, text_flexible),
):
    register_extractor(_kind, "strict")(_strict)
    register_extractor(_kind, "flexible")(_flexible)


__all__ = [
    "EXTRACTORS", "Extraction", "VARIANTS", "canonical_number", "extract", "extract_regex",
    "extract_strict", "register_extractor",
]

"""Reading and copying: the warm-up a student from scratch needs before any lab task.

Every lab answer copies something from its question: the digits of a column, the next word
of a list, the larger of two numbers. A pretrained model brings that skill; a tiny model from
scratch learns it late, at an unpredictable step, and nothing else works until it has
(measured in the lab: two probes with the same budget and design, one learned to copy digits
by step ~1,200 and one had not by step 2,000, and scored 0% on arithmetic and comparison).
A short stage of plain text in which each line shows a few items of lab text and then repeats
them (forwards, or a number's digits backwards, the order the column method reads them)
teaches copying on its own. The lines hold no question of any split and no answer in any
strategy's shape; every student starts from a probe that read them.
"""

from __future__ import annotations

import random
import re


def reading_vocabulary(corpus: list[str]) -> list[str]:
    """The words of the lab's knowledge text (category words, `is`, `a` ...), deduplicated."""
    return sorted({w for line in corpus for w in re.findall(r"[a-z]+", line.lower())})


def reading_lines(words: list[str], n: int, seed: int) -> list[str]:
    """`n` seeded lines: `copy: <items> | <items>` or `reverse: <number> | <digits reversed>`."""
    rng = random.Random(f"reading|{seed}")

    def number() -> str:
        return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(0, 4)))

    lines = []
    for _ in range(n):
        kind = rng.randrange(3)
        if kind == 0:
            items = " ".join(number() for _ in range(rng.randint(2, 4)))
            lines.append(f"copy: {items} | {items}")
        elif kind == 1 and words:
            items = ", ".join(rng.choice(words) for _ in range(rng.randint(3, 8)))
            lines.append(f"copy: {items} | {items}")
        else:
            x = str(rng.randint(100, 999_999))
            lines.append(f"reverse: {x} | {x[::-1]}")
    return lines

"""`cautious erase`: prompt erasure — teacher answers become student training chats.

The teacher saw a detailed strategy instruction; the student sees only a generic system
message, so it must learn *when* to use each strategy from the task itself (Orca 2's
"prompt erasure"). The output is plain conversational data (`messages` with system, user,
assistant turns) that `datasets.load_dataset("json", ...)`, TRL and axolotl read as is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cautious.paths import read_text
from cautious.records import Message, Provenance, TeacherAnswer, TrainExample

#: Generic system messages. `orca2` is the paper's exact text, kept for reproductions.
SYSTEM_PRESETS: dict[str, str] = {
    "cautious": (
        "You are a careful assistant. Before answering, decide how the task is best solved, "
        "then solve it that way, follow the instructions exactly, and state your final answer clearly."
    ),
    "orca2": (
        "You are Orca, an AI language model created by Microsoft. You are a cautious assistant. "
        "You carefully follow instructions. You are helpful and harmless and you follow ethical "
        "guidelines and promote positive behavior."
    ),
    "empty": "",
}


def system_message(spec: str) -> str:
    """A preset name (`cautious`, `orca2`, `empty`), `@FILE` (the file's text, as `cautious
    eval --system @FILE` reads it), or any literal text."""
    if spec.startswith("@"):
        return read_text(spec[1:], "system message file").strip()
    return SYSTEM_PRESETS.get(spec, spec)


@dataclass
class EraseStats:
    read: int = 0
    written: int = 0
    dropped_incorrect: int = 0
    dropped_errors: int = 0
    dropped_duplicates: int = 0
    dropped_empty: int = 0


def system_for(example_id: str, n: int) -> int:
    """Which of `n` generic messages an example gets: a stable hash of its id, so every student
    erased from the same examples sees the same message on each of them."""
    return int(hashlib.sha256(example_id.encode("utf-8")).hexdigest()[:8], 16) % n


def erase(
    answers: list[TeacherAnswer],
    system: str | list[str] = "cautious",
    keep_instruction: bool = False,
    include_incorrect: bool = False,
) -> tuple[list[TrainExample], EraseStats]:
    """Turn verified teacher answers into training chats with the instruction replaced.

    `keep_instruction=True` keeps the teacher's strategy instruction as the system message
    (the no-erasure ablation, and the probe student of `cautious select`). Incorrect and
    failed answers are dropped unless `include_incorrect`; empty responses always are;
    repeated requests (same request hash) are written once. A list of `system` messages gives
    each example one of them (`system_for`): a student that should also answer well under
    another generic message, e.g. an empty one, then sees both.
    """
    stats = EraseStats()
    out: list[TrainExample] = []
    seen: set[str] = set()
    names = [system] if isinstance(system, str) else list(system)
    generics = [system_message(name) for name in names]
    for ans in answers:
        stats.read += 1
        if ans.request_hash in seen:
            stats.dropped_duplicates += 1
            continue
        seen.add(ans.request_hash)
        if ans.status != "ok" and not include_incorrect:
            stats.dropped_errors += 1
            continue
        if not ans.correct and not include_incorrect:
            stats.dropped_incorrect += 1
            continue
        if not ans.response.strip():  # nothing to learn but "stop at once"; `train` refuses it
            stats.dropped_empty += 1
            continue
        instruction = next((m.content for m in ans.messages if m.role == "system"), "")
        user = next(m.content for m in ans.messages if m.role == "user")
        pick = system_for(ans.example_id, len(names))
        sys_text = instruction if keep_instruction else generics[pick]
        out.append(
            TrainExample(
                messages=[
                    Message(role="system", content=sys_text),
                    Message(role="user", content=user),
                    Message(role="assistant", content=ans.response),
                ],
                provenance=Provenance(
                    example_id=ans.example_id,
                    task=ans.task,
                    strategy=ans.strategy,
                    teacher=ans.model,
                    system_message="original-instruction" if keep_instruction else (names[pick] if names[pick] in SYSTEM_PRESETS else "custom"),
                    request_hash=ans.request_hash,
                ),
            )
        )
        stats.written += 1
    return out, stats

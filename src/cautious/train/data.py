"""Training data: render chats with the model's template, label assistant tokens, pack rows.

Labels come from *rendered spans*, not from searching the token stream for template strings
(the trap behind TRL #1820/#598: the same string tokenizes differently with left context).
For the i-th assistant message we render the chat up to it with the generation prompt
(`prefix`) and the chat including it (`full`); the assistant span is the characters
`full[len(prefix):]` (trailing whitespace dropped, the end-of-turn token kept, so the model
learns to stop). The whole chat is tokenized once with character offsets; a token is trained
iff its characters overlap an assistant span. A template that is not prefix-stable, or that
renders no assistant span, is refused with a message instead of being guessed at.

Plain-text corpora (a `.txt` with one document per line, or JSONL with `text`) train on all
tokens: the knowledge stage of the lab, or continued pre-training.
"""

from __future__ import annotations

import random
from bisect import bisect_left, insort
from dataclasses import dataclass, field

from cautious.errors import UserError
from cautious.jsonl import iter_json_objects
from cautious.paths import text_lines
from cautious.train.config import DatasetSpec

IGNORE = -100
#: The roles a chat may have; any other (a typo, `tool`, `bot`) would be rendered or dropped
#: by the chat template in ways nobody checked, so it is refused by name.
ROLES = ("system", "user", "assistant")


@dataclass
class Raw:
    """One record as read: a chat (`messages`) or a document (`text`), and where it came from."""

    where: str
    messages: list[dict[str, str]] | None = None
    text: str | None = None


@dataclass
class Sample:
    """A tokenized record: ids and, per token, whether the loss is taken on it."""

    input_ids: list[int]
    trained: list[bool]
    where: str

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class DataStats:
    records: int = 0
    samples: int = 0
    tokens: int = 0
    trained_tokens: int = 0
    truncated: int = 0
    split_docs: int = 0
    per_file: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def read_dataset(spec: DatasetSpec, system_message: str | None = None) -> list[Raw]:
    """Read one dataset file; any malformed record stops with file:line."""
    path = spec.path
    if not path.exists():
        raise UserError(f"{path}: dataset file not found")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a .jsonl or .txt file")
    out: list[Raw] = []
    if path.suffix == ".txt" or (spec.format == "text" and path.suffix != ".jsonl"):
        if spec.format == "chat":
            raise UserError(f"{path}: format `chat` needs a JSONL file of `messages`")
        for lineno, line in text_lines(path):
            if line.strip():
                out.append(Raw(f"{path}:{lineno}", text=line.rstrip("\r\n")))
            if spec.limit and len(out) >= spec.limit:
                break
        return out
    for lineno, obj in iter_json_objects(path):
        where = f"{path}:{lineno}"
        if "messages" in obj and spec.format != "text":
            out.append(Raw(where, messages=_messages(obj["messages"], where, system_message)))
        elif "text" in obj and spec.format != "chat":
            if not isinstance(obj["text"], str):
                raise UserError(f"{where}:text: expected a string")
            out.append(Raw(where, text=obj["text"]))
        else:
            want = {"chat": "`messages`", "text": "`text`", "auto": "`messages` or `text`"}[spec.format]
            raise UserError(f"{where}: missing field {want}")
        if spec.limit and len(out) >= spec.limit:
            break
    if not out:
        raise UserError(f"{path}: no records")
    return out


def _messages(value, where: str, system_message: str | None) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise UserError(f"{where}:messages: expected a non-empty list of {{role, content}}")
    msgs = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise UserError(f"{where}:messages.{i}: expected an object with string `role` and `content`")
        if m["role"] not in ROLES:
            raise UserError(f"{where}:messages.{i}.role: unknown role {m['role']!r}; valid roles: {', '.join(ROLES)}")
        msgs.append({"role": m["role"], "content": m["content"]})
    answers = [m for m in msgs if m["role"] == "assistant"]
    if answers and not any(m["content"].strip() for m in answers):
        raise UserError(
            f"{where}: every assistant turn is empty, so only the end-of-turn marker would be trained; "
            "fill in the answer or drop this chat"
        )
    if system_message is not None:
        msgs = [m for m in msgs if m["role"] != "system"]
        if system_message:
            msgs.insert(0, {"role": "system", "content": system_message})
    return msgs


def fitting_texts(raws: list[Raw]) -> list[str]:
    """Texts to fit a fresh tokenizer on (lab-tiny): role headers, contents, documents."""
    out: list[str] = []
    for r in raws:
        if r.messages is not None:
            out += [f"{m['role']}\n{m['content']}" for m in r.messages]
        else:
            out.append(r.text or "")
    return out


# --------------------------------------------------------------------------- rendering and labels


def assistant_spans(tokenizer, messages: list[dict[str, str]], where: str) -> tuple[str, list[tuple[int, int]]]:
    """The rendered chat and the character spans of its assistant turns (see module doc)."""
    render = tokenizer.apply_chat_template
    try:
        full = render(messages, tokenize=False)
        spans = []
        for i, m in enumerate(messages):
            if m["role"] != "assistant":
                continue
            prefix = render(messages[:i], tokenize=False, add_generation_prompt=True) if i else ""
            upto = render(messages[: i + 1], tokenize=False)
            if not upto.startswith(prefix) or not full.startswith(upto):
                raise UserError(
                    f"{where}: the chat template is not prefix-stable (rendering a chat up to turn {i} is not a prefix "
                    "of the whole chat), so assistant spans cannot be located; use a template that renders turns in order"
                )
            end = len(upto.rstrip())
            if end > len(prefix):
                spans.append((len(prefix), end))
    except UserError:
        raise
    except Exception as exc:  # jinja errors: raise_exception() in templates, missing roles …
        raise UserError(f"{where}: the chat template refused this chat ({str(exc).splitlines()[0]})") from None
    return full, spans


def _trained_flags(offsets, spans) -> list[bool]:
    flags = []
    for s, e in offsets:
        if s == e:
            flags.append(any(a <= s < b for a, b in spans))
        else:
            flags.append(any(max(s, a) < min(e, b) for a, b in spans))
    return flags


def tokenize(raws: list[Raw], tokenizer, max_len: int, stats: DataStats | None = None) -> list[Sample]:
    """Render, tokenize and label every record; refuse data that would train on garbage."""
    stats = stats if stats is not None else DataStats()
    chats = [r for r in raws if r.messages is not None]
    rendered = []
    for r in chats:
        if not any(m["role"] == "assistant" for m in r.messages):
            raise UserError(f"{r.where}: no assistant message, so nothing to learn from this chat")
        rendered.append(assistant_spans(tokenizer, r.messages, r.where))
    enc = tokenizer([t for t, _ in rendered], add_special_tokens=False, return_offsets_mapping=True) if rendered else None
    samples: list[Sample] = []
    for k, r in enumerate(chats):
        ids, offsets = enc["input_ids"][k], enc["offset_mapping"][k]
        flags = _trained_flags(offsets, rendered[k][1])
        if not any(flags):
            raise UserError(
                f"{r.where}: the chat template renders no assistant tokens (no assistant span); "
                "a template must write the assistant turn for the loss to be taken on it"
            )
        if all(flags):
            raise UserError(f"{r.where}: every token is an assistant token, so no prompt is masked; check the chat template")
        prompt = flags.index(True)
        if prompt >= max_len:
            raise UserError(
                f"{r.where}: the prompt is {prompt} tokens, not shorter than max_len {max_len}; "
                "raise max_len or shorten the example"
            )
        if len(ids) > max_len:
            stats.truncated += 1
            ids, flags = ids[:max_len], flags[:max_len]
        samples.append(Sample(list(ids), flags, r.where))
    docs = [r for r in raws if r.text is not None]
    if docs:
        eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
        bos = [tokenizer.bos_token_id] if getattr(tokenizer, "bos_token_id", None) is not None else []
        enc = tokenizer([r.text for r in docs], add_special_tokens=False)
        for r, ids in zip(docs, enc["input_ids"]):
            ids = bos + list(ids) + eos
            if len(ids) < 2:
                continue
            if len(ids) > max_len:
                stats.split_docs += 1
            for start in range(0, len(ids), max_len):
                piece = ids[start : start + max_len]
                if len(piece) >= 2:
                    samples.append(Sample(piece, [i > 0 for i in range(len(piece))], r.where))
    stats.records += len(raws)
    stats.samples += len(samples)
    stats.tokens += sum(len(s) for s in samples)
    stats.trained_tokens += sum(sum(s.trained) for s in samples)
    return samples


def show_labels(samples: list[Sample], tokenizer, n: int) -> list[str]:
    """Rich-markup renderings of the first `n` samples: trained text «green», masked dim."""
    from rich.markup import escape

    out = []
    for s in samples[:n]:
        text = tokenizer.decode(s.input_ids, skip_special_tokens=False)
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        if enc["input_ids"] != s.input_ids:  # decode/encode not round-trip: show token by token
            pieces = [(tokenizer.decode([t]), f) for t, f in zip(s.input_ids, s.trained)]
        else:
            offs = enc["offset_mapping"]
            pieces = []
            for i, (a, b) in enumerate(offs):
                end = offs[i + 1][0] if i + 1 < len(offs) else len(text)
                pieces.append((text[a:max(b, end)], s.trained[i]))
        body, run, state = [], [], None
        for piece, flag in pieces + [("", None)]:
            if flag != state and run:
                chunk = escape("".join(run))
                body.append(f"[bold green]«{chunk}»[/]" if state else f"[dim]{chunk}[/]")
                run = []
            state = flag
            run.append(piece)
        header = f"[bold]── {escape(s.where)} · {len(s)} tokens · {sum(s.trained)} trained «…» · {len(s) - sum(s.trained)} masked ──[/]"
        out.append(header + "\n" + "".join(body))
    return out


# --------------------------------------------------------------------------- packing


def pack_bfd(order: list[int], lengths: list[int], capacity: int) -> list[list[int]]:
    """Best-fit-decreasing: longest first, each into the fullest bin that still has room.

    `order` breaks ties between equal lengths (it is shuffled per epoch), so bins differ across
    epochs while staying deterministic for a seed. O(n log n) with a sorted list of free space.
    """
    items = sorted(order, key=lambda i: -lengths[i])
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (free space, bin index), sorted
    for i in items:
        need = lengths[i]
        j = bisect_left(free, (need, -1))
        if j < len(free):
            space, b = free.pop(j)
            bins[b].append(i)
            if space - need > 0:
                insort(free, (space - need, b))
        else:
            bins.append([i])
            if capacity - need > 0:
                insort(free, (capacity - need, len(bins) - 1))
    return bins


def epoch_rows(lengths: list[int], capacity: int, packing: bool, seed: str) -> list[list[int]]:
    """The rows (lists of sample indices) of one epoch, in training order."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if not packing:
        return [[i] for i in order]
    rows = pack_bfd(order, lengths, capacity)
    rng.shuffle(rows)
    return rows


def collate(rows: list[list[Sample]], pad_id: int, attn_implementation: str | None, dtype=None) -> dict:
    """Tensors for one micro-batch of packed rows; how attention is kept inside examples
    depends on the attention implementation (see `block_causal_mask`, `cautious.train.attention`).

    `targets[t]` is the token at t+1 *of the same example* when that token is trained, else
    -100; so no position ever predicts across an example boundary and no shift is needed later.
    """
    import torch

    from cautious.train.attention import NAME as VARLEN
    from cautious.train.attention import segment_indices

    width = max(1, max(sum(len(s) for s in row) for row in rows))
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    targets = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    pos = torch.zeros((len(rows), width), dtype=torch.long)
    seg = torch.full((len(rows), width), -1, dtype=torch.long)
    segments: list[tuple[int, int, int]] = []
    pads: list[tuple[int, int, int]] = []
    for r, row in enumerate(rows):
        t = 0
        for k, s in enumerate(row):
            n = len(s)
            ids[r, t : t + n] = torch.tensor(s.input_ids)
            nxt = torch.tensor(s.input_ids[1:] + [IGNORE])
            keep = torch.tensor(s.trained[1:] + [False])
            targets[r, t : t + n] = torch.where(keep, nxt, torch.full_like(nxt, IGNORE))
            pos[r, t : t + n] = torch.arange(n)
            seg[r, t : t + n] = k
            segments.append((r, t, n))
            t += n
        pos[r, t:] = torch.arange(width - t)  # padding is one more (ignored) segment
        if t < width:
            pads.append((r, t, width - t))
    # Padding segments are cut to the longest real example: the varlen path pads every segment
    # to the longest one, so one long padding tail would make attention cost rows × width².
    longest = max((n for _, _, n in segments), default=1)
    for r, start, n in pads:
        for off in range(0, n, longest):
            segments.append((r, start + off, min(longest, n - off)))
    batch = {"input_ids": ids, "position_ids": pos, "targets": targets, "tokens": int((seg >= 0).sum()), "packed": None}
    if attn_implementation == VARLEN:
        batch["attention_mask"] = None
        batch["packed"] = segment_indices(segments, width)
    elif attn_implementation and attn_implementation.startswith(("flash_attention", "flex_attention")):
        batch["attention_mask"] = None  # transformers derives varlen/block masks from position_ids
    else:
        batch["attention_mask"] = block_causal_mask(seg, additive=attn_implementation == "eager", dtype=dtype)
    return batch


def block_causal_mask(segments, additive: bool = False, dtype=None):
    """A 4D (batch, 1, query, key) mask letting each token see only earlier tokens of its own example.

    For a row packing example A (3 tokens), B (2 tokens) and one pad token P::

              keys →  A0 A1 A2 B0 B1 P
        query A0    [  1  0  0  0  0  0 ]
              A1    [  1  1  0  0  0  0 ]
              A2    [  1  1  1  0  0  0 ]
              B0    [  0  0  0  1  0  0 ]     ← B starts afresh: position id 0,
              B1    [  0  0  0  1  1  0 ]       and A is invisible to it
              P     [  0  0  0  0  0  1 ]     ← padding attends to itself only (no NaN rows)

    Boolean (True = attend) for SDPA; additive (0 / most-negative) for eager attention.
    """
    import torch

    seg = segments.clone()
    width = seg.shape[1]
    pad = seg < 0
    seg[pad] = 10_000  # padding: its own segment
    same = seg[:, :, None] == seg[:, None, :]
    causal = torch.ones(width, width, dtype=torch.bool, device=seg.device).tril()
    allowed = (same & causal)[:, None]
    if not additive:
        return allowed
    dtype = dtype or torch.float32
    return torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, torch.finfo(dtype).min)


def fingerprint(samples: list[Sample]) -> str:
    """A short hash of the tokenized data, so a resume can refuse changed inputs."""
    import hashlib

    h = hashlib.sha256()
    for s in samples:
        h.update(len(s).to_bytes(4, "little"))
        h.update(bytes(str(s.input_ids[:8] + s.input_ids[-8:]), "ascii"))
        h.update(bytes(str(sum(s.trained)), "ascii"))
    return h.hexdigest()[:16]


def load_stage_raws(specs: list[DatasetSpec], system_message: str | None) -> list[Raw]:
    raws: list[Raw] = []
    for spec in specs:
        raws += read_dataset(spec, system_message)
    return raws

"""The one report renderer: a report is a list of blocks, written as report.md and as a
self-contained report.html (figures inlined), so both reports — `cautious report` over eval
folders and `cautious run`'s — look alike and a fix to either format is made once."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from cautious.jsonl import atomic_writer


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Text:
    """A paragraph; `**bold**`, `` `code` `` and `*italic*` are rendered in HTML too."""

    text: str
    meta: bool = False  # small grey print (dates, counts)


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Figure:
    path: Path
    caption: str = ""


@dataclass
class Code:
    text: str


Block = Heading | Text | Bullets | Table | Figure | Code


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Document:
        self.blocks.extend(blocks)
        return self


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(doc: Document) -> str:
    out = [f"# {doc.title}", ""]
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += ["#" * b.level + " " + b.text, ""]
        elif isinstance(b, Text):
            out += [f"_{b.text}_" if b.meta else b.text, ""]
        elif isinstance(b, Bullets):
            out += [f"- {item}" for item in b.items] + [""]
        elif isinstance(b, Table):
            out.append("| " + " | ".join(_md_cell(h) for h in b.header) + " |")
            out.append("|" + "|".join("---" for _ in b.header) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows] + [""]
        elif isinstance(b, Figure):
            out += ([f"**{b.caption}**", ""] if b.caption else []) + [f"![{b.path.stem}]({b.path.name})", ""]
        elif isinstance(b, Code):
            out += ["```text", b.text, "```", ""]
    return "\n".join(out)


def inline(text: str) -> str:
    """The markdown a report's text uses (**bold**, `code`, *italic*) as HTML."""
    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    t = re.sub(r"`(.+?)`", r"<code>\1</code>", t)
    return re.sub(r"(?<!\w)\*(.+?)\*(?!\w)", r"<i>\1</i>", t)


def _td(text: str) -> str:
    number = text.strip("*").replace(".", "", 1).replace(" / ", "").replace("–", "").replace("-", "").strip().isdigit()
    return f"<td class=num>{inline(text)}</td>" if number else f"<td>{inline(text)}</td>"


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em} th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left}
th{background:#f4f4f4} tr:nth-child(even) td{background:#fafafa} td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0} figure img{max-width:100%;border:1px solid #eee} figcaption{font-weight:bold;margin-bottom:.3em}
pre{background:#f7f7f7;padding:.6em;white-space:pre-wrap;font-size:.85em} .meta{color:#666} code{background:#f2f2f2;padding:0 .2em}
"""


def to_html(doc: Document) -> str:
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(doc.title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{inline(doc.title)}</h1>"]
    for b in doc.blocks:
        if isinstance(b, Heading):
            out.append(f"<h{b.level}>{inline(b.text)}</h{b.level}>")
        elif isinstance(b, Text):
            out.append(f"<p class=meta>{inline(b.text)}</p>" if b.meta else f"<p>{inline(b.text)}</p>")
        elif isinstance(b, Bullets):
            out.append("<ul>" + "".join(f"<li>{inline(item)}</li>" for item in b.items) + "</ul>")
        elif isinstance(b, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.header)
            body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in b.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(b, Figure):
            data = base64.b64encode(b.path.read_bytes()).decode("ascii")
            caption = f"<figcaption>{html.escape(b.caption)}</figcaption>" if b.caption else ""
            out.append(f"<figure>{caption}<img alt='{html.escape(b.path.stem)}' src='data:image/png;base64,{data}'></figure>")
        elif isinstance(b, Code):
            out.append(f"<pre>{html.escape(b.text)}</pre>")
    return "\n".join(out + ["</body></html>"])


def write_document(doc: Document, out_dir: Path) -> tuple[Path, Path]:
    """report.md and report.html in `out_dir`, each written atomically."""
    paths = out_dir / "report.md", out_dir / "report.html"
    for path, text in zip(paths, (to_markdown(doc), to_html(doc))):
        with atomic_writer(path) as fh:
            fh.write(text)
    return paths

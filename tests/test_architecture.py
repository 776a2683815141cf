"""The shape of the code: no import cycle among cautious modules, and registries that refuse a
name already taken.

The import graph is read from the source with `ast`, so it sees every import: at the top of a
file, inside a function, and the strings that name a module (`importlib.import_module("...")`,
a lazy registry entry `"cautious.x:attr"`). Importing `cautious.a.b` also runs the package
`cautious.a`, so that is an edge too (unless the importer lives inside `cautious.a` already,
which Python has then started first).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cautious.errors import UserError
from cautious.evaluate.extract import EXTRACTORS, register_extractor
from cautious.evaluate.metrics import METRICS, Metric, register_metric
from cautious.judge.scoring import JUDGES
from cautious.lab import FAMILIES, register_family
from cautious.models.base import BACKENDS, register_backend
from cautious.registry import Lazy, Registry
from cautious.tasks.base import TASKS, register_task

SRC = Path(__file__).resolve().parents[1] / "src"
LAZY_PATH = re.compile(r"^(cautious(?:\.\w+)+):\w+$")


def module_files() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "cautious").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = module_files()


def known(name: str) -> str | None:
    """The longest prefix of a dotted name that is a cautious module."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in MODULES:
            return ".".join(parts)
        parts.pop()
    return None


def imports_of(module: str, path: Path) -> list[tuple[str, bool, int]]:
    """(imported cautious module, inside a function?, line) for every import in the file."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, bool, int]] = []

    def add(name: str | None, in_function: bool, line: int) -> None:
        target = known(name) if name else None
        if target and target != module:
            found.append((target, in_function, line))

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, in_function, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                add(sub if sub in MODULES else base, in_function, node.lineno)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                add(arg.value, in_function, node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            lazy = LAZY_PATH.match(node.value)
            if lazy:
                add(lazy.group(1), in_function, node.lineno)
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """The cautious -> cautious import graph, and the function-level import statements (file:line)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    function_level: set[str] = set()
    for module, path in MODULES.items():
        for target, in_function, line in imports_of(module, path):
            graph[module].add(target)
            # Importing cautious.a.b runs cautious.a first, unless `module` is inside cautious.a.
            parts = target.split(".")
            for i in range(2, len(parts)):
                parent = ".".join(parts[:i])
                if parent != module and not module.startswith(parent + "."):
                    graph[module].add(parent)
            if in_function:
                function_level.add(f"{path.relative_to(SRC)}:{line}")
    return graph, sorted(function_level)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_import_graph_is_read_from_every_module():
    graph, _ = import_graph()
    assert len(graph) > 50
    assert "cautious.registry" in graph["cautious.evaluate.metrics"]
    assert "cautious.models.hf" in graph["cautious.models.base"]  # a lazy registry entry is an edge


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_cautious_modules():
    graph, _ = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


# --- registries ---------------------------------------------------------------------------

REGISTRIES = {
    "tasks": (TASKS, "mmlu"),
    "lab families": (FAMILIES, "arithmetic"),
    "metrics": (METRICS, "exact_match"),
    "extractors": (EXTRACTORS, "number/strict"),
    "backends": (BACKENDS, "lab"),
    "judges": (JUDGES, "hallucination"),
}


@pytest.mark.parametrize("kind", list(REGISTRIES))
def test_each_registry_refuses_a_name_already_taken(kind):
    registry, taken = REGISTRIES[kind]
    before = registry.names()
    assert taken in before
    with pytest.raises(ValueError, match="already registered"):
        registry.register(taken, object())
    assert registry.names() == before


def test_the_extension_decorators_refuse_a_name_already_taken():
    class Again(Metric):
        pass

    with pytest.raises(ValueError, match="already registered"):
        register_metric("exact_match")(Again)
    with pytest.raises(ValueError, match="already registered"):
        register_extractor("number", "strict")(lambda text, example: None)
    with pytest.raises(ValueError, match="already registered"):
        register_backend("hf")(lambda arg: None)
    with pytest.raises(ValueError, match="already registered"):
        register_task("mmlu", group="benchmark")(lambda: None)
    with pytest.raises(ValueError, match="already registered"):
        register_task("arithmetic", group="mine")(lambda: None)  # a lab family's name
    with pytest.raises(ValueError, match="already registered"):
        register_family(type(FAMILIES.get("counting")))


def test_an_unknown_name_is_one_line_listing_the_valid_ones():
    registry: Registry[int] = Registry("widget")
    registry.register("b", 2)
    registry.register("a", 1)
    with pytest.raises(UserError, match=r"^unknown widget 'c'; valid widgets: a, b$"):
        registry.get("c")
    assert registry.names() == ["b", "a"]
    assert registry.items() == [("b", 2), ("a", 1)]


def test_a_lazy_entry_is_imported_on_first_use():
    registry: Registry[object] = Registry("thing")
    registry.register("registry", Lazy("cautious.registry:Registry"))
    assert registry.get("registry") is Registry
    with pytest.raises(ValueError, match="package.module:attribute"):
        Lazy("cautious.registry")


def command_functions() -> dict[str, int]:
    """Every CLI command function (`commands/<verb>.py`, defined in `register`) and its length."""
    sizes = {}
    for path in sorted((SRC / "cautious" / "commands").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == "register":
                for inner in node.body:
                    if isinstance(inner, ast.FunctionDef):
                        sizes[f"{path.name}:{inner.name}"] = inner.end_lineno - inner.lineno + 1  # type: ignore[operator]
    return sizes


def test_cli_commands_only_map_flags_to_stage_configs():
    """A verb is its flags and a call into the stage; behaviour lives in the stage modules."""
    sizes = command_functions()
    assert len(sizes) >= 10  # every verb was found
    too_long = {name: lines for name, lines in sizes.items() if lines > 40}
    assert not too_long, too_long

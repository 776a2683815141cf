"""The `cautious` command line. It only parses options and calls the stage modules.

Each verb lives in `cautious/commands/<verb>.py` with a `register(app)` function. A verb
imports the stage modules it calls inside its command function, not at the top of its file, so
that `cautious --help` (which imports every verb) loads typer and rich but not pydantic, the task
registry or numpy: about 0.5 s instead of 1 s.

A `UserError` raised anywhere becomes one red line on stderr and exit code 2 — no traceback for
a user's mistake. So does an `OSError` on the user's paths or disk (a folder that cannot be
written, a full disk): the path and the OS's reason, nothing else. An `OSError` on cautious's
own files, and every other exception, is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from cautious import progress
from cautious.errors import UserError
from cautious.paths import os_error_line

err_console = Console(stderr=True)

#: Verb modules, in the order `cautious --help` lists them.
COMMAND_MODULES = [
    "run",
    "tasks",
    "strategies",
    "select",
    "generate",
    "merge",
    "erase",
    "train",
    "eval",
    "report",
]


class _Group(TyperGroup):
    """Turns UserError, and OSError on a user's path, into one line and exit code 2."""

    def invoke(self, ctx):  # type: ignore[override]
        try:
            try:
                return super().invoke(ctx)
            finally:
                progress.close_active()  # a bar an error left open would draw over the error line
        except UserError as exc:
            _error_line(str(exc))
            raise typer.Exit(code=exc.exit_code) from None
        except OSError as exc:
            line = os_error_line(exc)
            if line is None:
                raise
            _error_line(line)
            raise typer.Exit(code=UserError.exit_code) from None

    def list_commands(self, ctx):  # keep registration order, not alphabetical
        return list(self.commands)


def _error_line(text: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)


app = typer.Typer(
    cls=_Group,
    name="cautious",
    help="Teach a small model several reasoning strategies and when to use each (Orca 2, end to end).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"cautious.commands.{_name}").register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

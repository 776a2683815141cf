"""One module per verb (see `cautious.cli`), and the options several verbs share."""

import typer

#: Every verb with a long stage takes it: a live bar in a terminal, a line about every 30 s
#: otherwise, nothing with --no-progress (see `cautious.progress`).
PROGRESS_OPTION = typer.Option(True, "--progress/--no-progress", help="Live progress (a line every ~30 s when not in a terminal).")

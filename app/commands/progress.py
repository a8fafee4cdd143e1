"""The progress bar the long CLI commands (``score``, ``tiles seed``) draw on standard error."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def progress_bar(console: Console) -> Progress:
    """Return a bar of description, bar, done/total and elapsed time on ``console``, cleared
    when it ends and off when ``console`` is not a terminal (the commands then print lines)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )

"""A progress display for long reads: rich on a terminal's stderr, silent under cron."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from exactsync.commands._output import is_terminal, stderr


@contextlib.contextmanager
def row_counter(label: str) -> Iterator[Callable[[str, int], None]]:
    """Yields `update(entity, rows_so_far)`; shows one line per entity while on a terminal."""
    if not is_terminal():
        yield lambda entity, rows: None
        return
    columns = (SpinnerColumn(), TextColumn(f"{label} [bold]{{task.fields[entity]}}"),
               TextColumn("{task.completed:,} rows"), TimeElapsedColumn())
    with Progress(*columns, console=stderr(), transient=False) as progress:
        tasks: dict[str, int] = {}

        def update(entity: str, rows: int) -> None:
            if entity not in tasks:
                tasks[entity] = progress.add_task("", total=None, entity=entity)
            progress.update(tasks[entity], completed=rows)

        yield update

"""A progress display for long reads: rich on a terminal's stderr, silent under cron."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from exactsync.commands import _output


@contextlib.contextmanager
def row_counter(line: Callable[[str, int], str]) -> Iterator[Callable[[str, int], None]]:
    """Yields `update(entity, rows_so_far)`; shows one line per entity while on a terminal,
    `line(entity, rows_so_far)` (in the reader's language)."""
    if not _output.is_terminal():
        yield lambda entity, rows: None
        return
    # Imported here, as _output does: rich would double the start-up of the pull cron runs every 5 minutes.
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.fields[line]}", markup=False), TimeElapsedColumn())
    with Progress(*columns, console=_output.stderr(), transient=False) as progress, _output.printing_above(progress):
        tasks: dict[str, int] = {}

        def update(entity: str, rows: int) -> None:
            if entity not in tasks:
                tasks[entity] = progress.add_task("", total=None, line=line(entity, 0))
            progress.update(tasks[entity], completed=rows, line=line(entity, rows))

        yield update

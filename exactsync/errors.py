"""Exceptions that library code raises; the CLI edge turns them into `Error: ...` and exit 1."""

from exactsync.i18n import msg


class ExactsyncError(Exception):
    """A problem the user can act on: its message says what is wrong and what to do."""


class ConfigError(ExactsyncError):
    def __init__(self, path, problems: list[str]):
        self.path = path
        self.problems = problems
        # Rendered now: the refusal is printed at once, in the language in force.
        lines = "\n".join(f"  {p}" for p in problems)
        if len(problems) == 1:
            super().__init__(msg("config {path} has 1 problem:\n{lines}", path=str(path), lines=lines))
        else:
            super().__init__(msg("config {path} has {count} problems:\n{lines}", path=str(path),
                                 count=len(problems), lines=lines))


class StoreError(ExactsyncError):
    pass

"""Exceptions that library code raises; the CLI edge turns them into `Error: ...` and exit 1."""

from functools import reduce

from exactsync.i18n import Msg, msg


class ExactsyncError(Exception):
    """A problem the user can act on: its message says what is wrong and what to do."""


class ConfigError(ExactsyncError):
    def __init__(self, path, problems: list[Msg]):
        self.path = path
        self.problems = problems
        lines = reduce(lambda lines, problem: msg("{lines}\n  {problem}", lines=lines, problem=problem),
                       problems[1:], msg("  {problem}", problem=problems[0]))
        # One message for one and one for more: English and Dutch both have just these two forms.
        if len(problems) == 1:
            super().__init__(msg("config {path} has {count} problem:\n{lines}", path=str(path), count=1, lines=lines))
        else:
            super().__init__(msg("config {path} has {count} problems:\n{lines}", path=str(path),
                                 count=len(problems), lines=lines))


class StoreError(ExactsyncError):
    pass

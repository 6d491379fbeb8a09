"""Exceptions that library code raises; the CLI edge turns them into `Error: ...` and exit 1."""


class ExactsyncError(Exception):
    """A problem the user can act on: its message says what is wrong and what to do."""


class ConfigError(ExactsyncError):
    def __init__(self, path, problems: list[str]):
        self.path = path
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"config {path} has {len(problems)} {noun}:\n{lines}")


class StoreError(ExactsyncError):
    pass

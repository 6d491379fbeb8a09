"""Checking what a CLI run returned: its stdout on success, its exact error on refusal."""


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def refused(result, message: str) -> None:
    """Exit 1 with exactly `Error: message`."""
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: {message}\n"

"""What keeps the package easy to walk: no module outside the sandbox over 400 lines, and one place
that decides what a spent daily limit of Exact's calls means."""

from __future__ import annotations

import re
from pathlib import Path

import exactsync

SOURCE = Path(exactsync.__file__).parent
MOST_LINES = 400
CATCHES_DAILY_LIMIT = re.compile(r"^\s*except\b[^:]*\bDailyLimitReached\b", re.MULTILINE)


def modules() -> list[Path]:
    return sorted(path for path in SOURCE.rglob("*.py") if "sandbox" not in path.relative_to(SOURCE).parts)


def test_no_module_outside_the_sandbox_is_over_400_lines():
    lines = {path.relative_to(SOURCE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in modules()}
    assert {name: count for name, count in lines.items() if count > MOST_LINES} == {}


def test_one_place_catches_a_spent_daily_limit():
    catches = [f"{path.relative_to(SOURCE)}:{text.count(chr(10), 0, match.start()) + 1}"
               for path in modules() for text in [path.read_text(encoding="utf-8")]
               for match in CATCHES_DAILY_LIMIT.finditer(text)]
    assert len(catches) == 1, catches

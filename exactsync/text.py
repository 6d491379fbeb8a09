"""Text that is safe to store, send and show.

Python turns bytes that are not UTF-8 (an argument typed in Latin-1, a file name) into lone
surrogates, and JSON's "\\ud800" makes one too: such a string cannot be stored, printed or sent,
so it is refused where it comes in, naming its field. Text from Exact or the store may hold
control characters (ESC starts a terminal escape sequence): what people read shows them.
"""

from __future__ import annotations

import re

# C0 controls but line feed and tab (a description keeps its lines), DEL, and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def not_text_at(value: str) -> int | None:
    """The position of the first character of `value` that is not text (half of a UTF-16 pair,
    as undecodable bytes become); None when it is all text."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def visible(value: str) -> str:
    """`value` for a terminal: each control character but line feed and tab written as \\xNN, so
    no escape sequence from Exact or the store can act on the terminal."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", value)

"""OData v2 as Exact speaks it: literals for `$filter`, and reading Exact's values and envelopes.

Every value that goes into a `$filter` passes through one of the literal
functions here, so no setting, code or name can change the meaning of a query.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from exactsync.timeutil import AMSTERDAM

_EPOCH = datetime(1970, 1, 1)
_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")


def quote(value: str) -> str:
    """A string literal: `O'Brien` -> `'O''Brien'`."""
    if not isinstance(value, str):
        raise TypeError(f"odata.quote takes a string, got {type(value).__name__}")
    return "'" + value.replace("'", "''") + "'"


def guid(value) -> str:
    """A GUID literal, `guid'...'`, lower case; anything that is not a GUID raises ValueError."""
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a GUID") from None
    return f"guid'{parsed}'"


def int64(value) -> str:
    """An Edm.Int64 literal such as a sync Timestamp: `4300012345L`."""
    return f"{parse_int64(value)}L"


def parse_int64(value) -> int:
    """Exact writes Edm.Int64 (Timestamp, Hid) as a JSON string; accept a string or a number."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{value!r} is not an Int64 value")
    return int(value)


def date_millis(value: str) -> int:
    """The number inside `/Date(ms)/`: values of one time zone order by it."""
    match = _DATE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not an OData /Date(ms)/ value")
    return int(match[1])


def parse_date(value: str | None) -> datetime | None:
    """`/Date(ms)/` -> an aware datetime in Europe/Amsterdam.

    Exact writes its local wall-clock time as if it were UTC milliseconds, so the
    milliseconds give the Amsterdam wall time, not an instant.
    """
    if value is None:
        return None
    wall_time = _EPOCH + timedelta(milliseconds=date_millis(value))
    return wall_time.replace(tzinfo=AMSTERDAM)


def unwrap(payload: dict) -> tuple[list[dict], str | None]:
    """The rows and the next-page link of an answer.

    `d` comes as an object with `results` (and `__next` when more pages follow),
    as a single entity, or as a bare array.
    """
    if not isinstance(payload, dict) or "d" not in payload:
        raise ValueError("the answer has no 'd' member")
    body = payload["d"]
    if isinstance(body, list):
        rows, next_url = body, None
    elif isinstance(body, dict) and isinstance(body.get("results"), list):
        rows, next_url = body["results"], body.get("__next") or None
    elif isinstance(body, dict):
        rows, next_url = [body], None
    else:
        raise ValueError(f"the answer's 'd' is a {type(body).__name__}, not an object or array")
    if not all(isinstance(row, dict) for row in rows) or not isinstance(next_url, (str, type(None))):
        raise ValueError("the answer's rows are not objects or its '__next' is not a link")
    return rows, next_url

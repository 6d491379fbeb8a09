"""Time, written and read one way.

The store keeps instants as ISO 8601 UTC text to the second ("2026-12-01T12:00:00Z"),
so they sort as text; `iso` writes them and `parse` reads them. Exact keeps its dates
in Amsterdam wall-clock time, so "today" for Exact is Amsterdam's today.
People read times in the office's zone (`[interface] timezone`), whatever zone the
machine runs in: `for_people` writes them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# Exact Online (Netherlands) stores and compares dates in this zone (see exact/odata.parse_date).
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

DEFAULT_OFFICE_ZONE = "Europe/Amsterdam"
_office_zone = ZoneInfo(DEFAULT_OFFICE_ZONE)


def use_office_zone(name: str) -> None:
    """From now on, show times in the IANA zone `name` (the config has validated it)."""
    global _office_zone
    _office_zone = ZoneInfo(name)


def office_zone() -> ZoneInfo:
    return _office_zone


def for_people(iso_utc: str, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored UTC time as the office's wall-clock time."""
    return parse(iso_utc).astimezone(_office_zone).strftime(fmt)


def iso(at: datetime | float) -> str:
    """An aware datetime, or epoch seconds, as the store's ISO UTC text."""
    if not isinstance(at, datetime):
        at = datetime.fromtimestamp(at, UTC)
    return at.astimezone(UTC).strftime(_FORMAT)


def utcnow() -> str:
    return iso(datetime.now(UTC))


def parse(text: str) -> datetime:
    """The store's ISO UTC text as an aware datetime."""
    return datetime.fromisoformat(text)


def amsterdam_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(AMSTERDAM).date()

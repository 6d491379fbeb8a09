"""What tells English in a text that should be Dutch: the tests of the Dutch interface share it."""

from __future__ import annotations

import re

# Words that only English uses; "of" is left out, as it is Dutch for "or".
ENGLISH = {"the", "and", "not", "never", "yet", "active", "run", "runs", "failed", "stopped", "left", "seen",
           "last", "work", "order", "orders", "errors", "error", "hours", "login", "calls", "today", "message", "table",
           "action", "kind", "time", "record", "highest", "mutation", "date", "rows", "shown", "connected",
           "division", "integration", "warning", "connection", "customer", "item", "settings", "reset", "resumes",
           "limit", "daily", "reached", "spent", "nothing", "lost", "busy", "queued", "tomorrow", "after", "to"}


def english_in(text: str) -> set[str]:
    """The tell-tale English words in `text`, leaving out its options (`--work-addresses`)."""
    return {word for word in re.findall(r"[A-Za-z]+", re.sub(r"--[\w-]+", "", text)) if word.lower() in ENGLISH}

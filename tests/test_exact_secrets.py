"""No Exact token, authorization code or client secret in a recorded cassette."""

import re
from pathlib import Path

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
# The sandbox's tokens and codes carry these prefixes; a real secret is long and random.
SECRET_PATTERNS = [
    re.compile(r"\b(?:at|rt|code)-[A-Za-z0-9_-]{40,}"),
    re.compile(r"Bearer\s+[A-Za-z0-9._~+/=-]{20,}"),
    re.compile(r"client_secret=(?!(?:REDACTED|SCRUBBED|FILTERED|\*+|<[^>]*>)(?:[&\"'\s]|$))[A-Za-z0-9._~%-]{8,}"),
    re.compile(r"\"(?:access_token|refresh_token)\"\s*:\s*\"(?:at|rt)-"),
]


def secrets_in(text: str) -> list[str]:
    return [m.group(0)[:24] + "..." for pattern in SECRET_PATTERNS for m in pattern.finditer(text)]


def test_the_detector_finds_what_it_looks_for():
    token = "at-" + "x" * 60
    leaky = (f'Authorization: Bearer {token}\n{{"access_token": "{token}", "refresh_token": "rt-{"y" * 60}"}}\n'
             f"grant_type=authorization_code&code=code-{'z' * 60}&client_secret=k3Yq9v0pLmN2&client_id=1")
    assert len(secrets_in(leaky)) == 8
    scrubbed = ('Authorization: Bearer <scrubbed>\n{"access_token": "<scrubbed>", "refresh_token": "<scrubbed>"}\n'
                "code=<scrubbed>&client_secret=REDACTED&client_id=1")
    assert secrets_in(scrubbed) == []


def test_no_secret_in_any_cassette():
    found = {path.name: secrets_in(path.read_text(encoding="utf-8"))
             for path in sorted(CASSETTES.rglob("*")) if path.is_file()}
    assert {name: hits for name, hits in found.items() if hits} == {}

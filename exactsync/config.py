"""The config file: every key declared once, read with tomllib, validated all at once, written with tomli-w.

`KEYS` is the single declaration: validation, defaults, `config.example.toml` and
`exactsync init` all come from it, so a new setting is one entry here.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w

from exactsync import i18n, timeutil
from exactsync.errors import ConfigError, ExactsyncError
from exactsync.privatefile import write_private

DEFAULT_CONFIG_NAME = "exactsync.toml"
SECRET_ENV = "EXACTSYNC_CLIENT_SECRET"


@dataclass(frozen=True)
class Key:
    table: str
    name: str
    kind: type  # str, int or list (of str)
    default: object
    doc: str
    choices: tuple[str, ...] = ()
    minimum: int = 0  # for int keys
    maximum: int | None = None  # for int keys
    check: Callable[[str], i18n.Msg | None] | None = None  # for str keys: the problem with a value, or None

    @property
    def dotted(self) -> str:
        return f"[{self.table}] {self.name}"


def _time_zone_problem(name: str) -> i18n.Msg | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return i18n.msg("{name} is not an IANA time zone name, such as Europe/Amsterdam or Europe/Brussels",
                        name=repr(name))
    return None


def _ping_url_problem(url: str) -> i18n.Msg | None:
    if url and not url.startswith(("https://", "http://")):
        return i18n.msg("must be an http or https address, such as https://hc-ping.com/<your check's id>, or "
                        "empty; got a value that is neither")  # not the value: it is a secret-ish token
    return None


KEYS: tuple[Key, ...] = (
    Key("exact", "base_url", str, "https://start.exactonline.nl",
        "Exact Online site of your country (.nl, .be, .de, .co.uk, .com, .es, .fr); the sandbox prints its own"),
    Key("exact", "client_id", str, "", "Client ID of your app in the Exact App Center"),
    Key("exact", "client_secret", str, "",
        f"Client secret of that app; the environment variable {SECRET_ENV} wins over this value"),
    Key("exact", "redirect_uri", str, "",
        "Redirect URI of your app in the Exact App Center, exactly as registered there: an https address "
        "(it need not serve a page; connect asks for the address the browser lands on)"),
    Key("exact", "timeout_seconds", int, 120,
        "Seconds to wait for Exact's answer to a call (at most 10 of them to connect); push looks up a send that "
        "a stopped run left open only after twice this, when Exact can no longer be storing it",
        minimum=1, maximum=3600),
    Key("store", "path", str, "exactsync.db", "SQLite file with all local state, relative to this file's folder"),
    Key("settings", "division", int, 0,
        "Exact administration (division) number; 0 = not chosen yet, connect fills in the current one"),
    Key("settings", "journal", str, "", "Code of the sales journal the draft invoices go to, e.g. \"70\""),
    Key("settings", "travel_time_item", str, "",
        "Item code booked for travel time in hours; empty = travel time is not invoiced"),
    Key("settings", "work_time_item", str, "",
        "Item code booked for work time in hours; empty = work time is not invoiced"),
    Key("settings", "item_groups", list, [],
        "Item groups whose items are pulled, case-sensitive, e.g. [\"Diensten\"]; empty = all groups"),
    Key("settings", "memo", str, "none", "What goes in the invoice remarks",
        ("none", "work_address", "work_description", "both")),
    Key("settings", "default_item", str, "",
        "Item code put once on every invoice (e.g. call-out charge); empty = none"),
    Key("settings", "your_ref", str, "none", "What goes in the invoice's Your reference",
        ("none", "workorder_number", "customer_reference", "both")),
    Key("settings", "pdfs", str, "none", "Which PDFs go to the customer's documents in Exact",
        ("none", "workorder", "forms", "both")),
    Key("settings", "document_type", int, 10,
        "Exact document type (a number) the PDFs are filed as; it must exist and allow creating documents, and "
        "check-settings lists the types that do. Default 10 (sales invoice): the one type documented and seen "
        "created on a customer's card. Exact also files the PDFs of the invoices it processes as 10, so where "
        "your administration has a general attachment type (183), check-settings recommends that one"),
    Key("workorders", "number_prefix", str, "WO", "Prefix of work order numbers (WO00001, WO00002, ...)"),
    Key("workorders", "company_name", str, "", "Your company name, printed at the top of the work order PDFs"),
    Key("workorders", "company_address", str, "",
        "One line under the company name on the PDFs, e.g. \"Kerkstraat 1, 3511 AA Utrecht\"; empty = none"),
    # 100 years is keeping everything; more would overflow the date arithmetic of the cut-off.
    Key("log", "retention_days", int, 90, "Log rows older than this many days are removed (at most 36500)",
        maximum=36_500),
    Key("interface", "language", str, i18n.DEFAULT_LANGUAGE,
        f"Language of everything exactsync prints; --lang and the environment variable {i18n.LANG_ENV} win over it",
        i18n.LANGUAGES),
    Key("interface", "timezone", str, timeutil.DEFAULT_OFFICE_ZONE,
        "Time zone (IANA name) of the times people read: the log, status and the work order PDFs; the store "
        "keeps UTC", check=_time_zone_problem),
    Key("monitoring", "stale_after_minutes", int, 30,
        "status --check is CRITICAL when the integration is active and no pull succeeded for this many minutes",
        minimum=1),
    Key("monitoring", "queued_hours", int, 2,
        "status --check is a WARNING when a work order waits for Exact longer than this many hours", minimum=1),
    Key("monitoring", "ping_url", str, "",
        "Heartbeat address (healthchecks.io style): pull and push call <url>/start, then <url> or <url>/fail with "
        "the run's errors; empty = no heartbeat. Keep it private: anyone with it can report to your check",
        check=_ping_url_problem),
)

TABLES = tuple(dict.fromkeys(k.table for k in KEYS))
SETTING_NAMES = tuple(k.name for k in KEYS if k.table == "settings")
# The settings that name an Exact item: check-settings verifies each, push books them.
ITEM_SETTINGS = ("travel_time_item", "work_time_item", "default_item")


@dataclass(frozen=True)
class Settings:
    """The [settings] table: what check-settings verifies and push applies."""

    division: int
    journal: str
    travel_time_item: str
    work_time_item: str
    item_groups: tuple[str, ...]
    memo: str
    default_item: str
    your_ref: str
    pdfs: str
    document_type: int

    def as_dict(self) -> dict:
        return {name: list(v) if isinstance(v := getattr(self, name), tuple) else v for name in SETTING_NAMES}

    @classmethod
    def from_dict(cls, values: dict) -> Settings:
        """The inverse of `as_dict`; a setting `values` lacks (verified before it existed) has its default."""
        given = {key.name: values.get(key.name, key.default) for key in KEYS if key.table == "settings"}
        return cls(**{**given, "item_groups": tuple(given["item_groups"])})


@dataclass(frozen=True)
class Config:
    path: Path
    values: dict = field(repr=False)  # {table: {key: value}} with defaults filled in

    def get(self, table: str, name: str):
        return self.values[table][name]

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def store_path(self) -> Path:
        return self.folder / self.get("store", "path")

    @property
    def base_url(self) -> str:
        return self.get("exact", "base_url").rstrip("/")

    @property
    def client_id(self) -> str:
        return self.get("exact", "client_id")

    @property
    def client_secret(self) -> str:
        return os.environ.get(SECRET_ENV) or self.get("exact", "client_secret")

    @property
    def redirect_uri(self) -> str:
        return self.get("exact", "redirect_uri")

    @property
    def timeout_seconds(self) -> int:
        return self.get("exact", "timeout_seconds")

    @property
    def retention_days(self) -> int:
        return self.get("log", "retention_days")

    @property
    def language(self) -> str:
        return self.get("interface", "language")

    @property
    def timezone(self) -> str:
        return self.get("interface", "timezone")

    @property
    def ping_url(self) -> str:
        return self.get("monitoring", "ping_url")

    @property
    def settings(self) -> Settings:
        return Settings.from_dict(self.values["settings"])


def load(path: Path) -> Config:
    """Read and validate the config at `path`; raise ConfigError listing every problem."""
    path = Path(path).absolute()
    raw = _read_toml(path)
    problems, values = validate(raw)
    if problems:
        raise ConfigError(path, problems)
    return Config(path=path, values=values)


def _read_toml(path: Path) -> dict:
    if not path.exists():
        raise ExactsyncError(i18n.msg(
            "config file {path} does not exist: run `exactsync init` to create it, "
            "or pass --config (or set EXACTSYNC_CONFIG) to use another one", path=str(path)))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [i18n.msg("cannot read the file: {error}", error=str(exc))]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [i18n.msg("not valid TOML: {error}", error=str(exc))]) from None
    except ValueError as exc:  # a number past Python's 4,300-digit limit on int()
        raise ConfigError(path, [i18n.msg("not valid TOML: {error}", error=str(exc).split(";")[0])]) from None


def validate(raw: dict) -> tuple[list[i18n.Msg], dict]:
    """Check `raw` against KEYS; return (problems, values with defaults)."""
    problems: list[i18n.Msg] = []
    values: dict = {table: {} for table in TABLES}
    for table, content in raw.items():
        if table not in values:
            problems.append(i18n.msg("[{table}]: unknown table (known: {tables})", table=table,
                                     tables=", ".join(TABLES)))
        elif not isinstance(content, dict):
            problems.append(i18n.msg("[{table}]: must be a table", table=table))
    for key in KEYS:
        content = raw.get(key.table, {})
        if not isinstance(content, dict):
            content = {}
        value = content.get(key.name, key.default)
        problem = _check_value(key, value)
        if problem:
            problems.append(i18n.msg("{key}: {problem}", key=key.dotted, problem=problem))
        values[key.table][key.name] = value
    known = {(k.table, k.name) for k in KEYS}
    for table, content in raw.items():
        if table in values and isinstance(content, dict):
            for name in content:
                if (table, name) not in known:
                    problems.append(i18n.msg("[{table}] {name}: unknown key", table=table, name=name))
    return problems, values


def _check_value(key: Key, value) -> i18n.Msg | None:
    if key.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return i18n.msg("must be a whole number, got {value}", value=_show(value))
        if value < key.minimum:
            if key.minimum:
                return i18n.msg("must be {minimum} or more, got {value}", minimum=key.minimum, value=str(value))
            return i18n.msg("must not be negative, got {value}", value=str(value))
        if key.maximum is not None and value > key.maximum:
            return i18n.msg("must be at most {maximum}, got {value}", maximum=key.maximum, value=str(value))
    elif key.kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return i18n.msg("must be a list of strings, got {value}", value=_show(value))
        if any("\x00" in v for v in value):
            return i18n.msg("must not hold a NUL character, got {value}", value=_show(value))
    elif not isinstance(value, str):
        return i18n.msg("must be a string, got {value}", value=_show(value))
    elif "\x00" in value:
        # No file name, URL or code can hold one; the operating system refuses a path with one.
        return i18n.msg("must not hold a NUL character, got {value}", value=_show(value))
    elif key.choices and value not in key.choices:
        return i18n.msg("must be one of {choices}; got {value}", choices=", ".join(key.choices), value=_show(value))
    elif key.check:
        return key.check(value)
    return None


def _show(value) -> str:
    kind = type(value).__name__
    return f"{value!r} ({kind})" if not isinstance(value, str) else repr(value)


def example_text() -> str:
    """The documented example config: every key with its comment and default."""
    lines = ["# exactsync configuration. Every key is optional; the value shown is the default.", ""]
    for table in TABLES:
        lines.append(f"[{table}]")
        for key in (k for k in KEYS if k.table == table):
            doc = key.doc + (f" ({' | '.join(key.choices)})" if key.choices else "")
            lines.append(f"# {doc}")
            lines.append(tomli_w.dumps({key.name: key.default}).strip())
        lines.append("")
    return "\n".join(lines)


def write_new(path: Path, overrides: dict) -> None:
    """Create a config at `path` from the example, with `overrides` {table: {key: value}} applied."""
    text = example_text()
    if overrides:
        problems, _ = validate(overrides)
        if problems:
            raise ConfigError(path, problems)
        raw = tomllib.loads(text)
        for table, content in overrides.items():
            raw[table].update(content)
        text = "# exactsync configuration; see config.example.toml for what each key means.\n\n" + tomli_w.dumps(raw)
    write_private(path, text)


def update(config: Config, table: str, name: str, value) -> Config:
    """Set one key in the config file (rewritten with tomli-w) and return the reloaded config."""
    raw = _read_toml(config.path)
    raw.setdefault(table, {})[name] = value
    problems, _ = validate(raw)
    if problems:
        raise ConfigError(config.path, problems)
    write_private(config.path, tomli_w.dumps(raw))
    return load(config.path)


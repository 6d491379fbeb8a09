"""The HTTP face of the sandbox: routing, OAuth endpoints, the REST API's
query options, paging, errors and wire format, fault injection.

Everything that touches sandbox state runs under the sandbox lock, so a
request sees one consistent administration.
"""

from __future__ import annotations

import json
import re
import socket
import time
import traceback
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from exactsync.sandbox import odata, render
from exactsync.sandbox.auth import OAuthError
from exactsync.sandbox.odata import ODataError
from exactsync.sandbox.posting import ApiError, Posting
from exactsync.sandbox.schema import BY_PATH, PAGE_SIZE, SYNC_PAGE_SIZE, Entity
from exactsync.sandbox.scopes import allows, scope_of

API_PATH = re.compile(r"^/api/v1/(?:(?P<division>\d+)/)?(?P<path>[^?]*)$")
KEY_PART = re.compile(r"\((?P<key>[^)]*)\)")
URL_SAFE = "$'(),:"     # left as is in __next links, as Exact writes them: $skiptoken=guid'...'
SELECT_NEEDED = "Please add a $select or a $top=1 statement to the query string."
BAD_SYNC_FILTER = "This $filter parameter is not supported for this resource"
REDIRECT_REFUSED_PAGE = (b"<!doctype html><title>Exact Online</title><h1>Error</h1><p>The client_id is unknown, or "
                         b"the redirect_uri is not the one registered for this app.</p>")
# A call outside the app's scopes, as reported: "Error 403: Forbidden - Application Scope Violated. Cannot
# read" for a GET (picqer#509; picqer#453 without the last sentence). No Reason header was reported with it
# (picqer's client shows one when sent). What Exact adds for a write is not reported: the sandbox adds nothing.
# A write on an endpoint whose scope the app has read-only is outside its scopes too (scopes.allows).
SCOPE_VIOLATED = "Forbidden - Application Scope Violated"
# Since apps have scopes, the user ticks at consent which administrations (divisions) the app may use; a
# call in one that was not ticked gets 403 "User division is not within division scope" (INV 1756, 3060;
# picqer#659). No Reason header was reported with it: the sandbox adds none. current/Me has no division.
DIVISION_NOT_IN_SCOPE = "User division is not within division scope"


class DropConnection(Exception):
    """Close the socket without an answer (fault injection)."""


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, sandbox):
        super().__init__(address, Handler)
        self.sandbox = sandbox


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ExactSandbox/1.0"
    # On keep-alive connections Nagle's algorithm and the client's delayed ACK held
    # every small answer back about 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):   # noqa: A002 - quiet: tests and serve print their own lines
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    @property
    def sandbox(self):
        return self.server.sandbox

    def dispatch(self, method: str):
        url = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.json_wanted = "application/json" in self.headers.get("Accept", "")
        self.answer_dropped = False
        try:
            if url.path == "/api/oauth2/auth" and method == "GET":
                self.run_faults("GET", "auth", self.authorize)
            elif url.path == "/api/oauth2/token" and method == "POST":
                self.run_faults("POST", "token", self.token)
            elif match := API_PATH.match(unquote(url.path)):
                division = match["division"]
                path = match["path"]
                self.run_faults(method, KEY_PART.sub("", path),
                                lambda: self.api(method, int(division) if division else None, path))
            else:
                self.send_error_body(404, "Not found", json_errors=True)
        except DropConnection:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except ConnectionError:
            # The client went away (it stopped waiting, or was killed) while the answer was being
            # made: what was stored stays stored, as a timeout is no proof that nothing was (§9).
            self.close_connection = True
        except Exception:
            # a bug in the sandbox: show it, and answer as Exact does when it fails
            traceback.print_exc()
            self.answer_dropped = False
            self.send_error_body(500, "An unexpected error occurred.")

    # -- faults and counting -------------------------------------------------------------------

    def run_faults(self, method: str, path: str, answer):
        call = f"{method} {path}"
        fault = self.sandbox.take_fault(method, path, call)
        if self.sandbox.latency_ms:
            time.sleep(self.sandbox.latency_ms / 1000)
        if fault is None:
            return answer()
        if fault["kind"] == "latency":
            # A slow answer: the work is done after the pause, also when the client gave up meanwhile.
            time.sleep(fault.get("ms", 1000) / 1000)
            return answer()
        if fault["kind"] == "error500":
            return self.send_error_body(500, "An unexpected error occurred.", json_errors=True)
        if fault["kind"] == "drop_before":
            raise DropConnection
        if fault["kind"] == "429":
            with self.sandbox.lock:
                headers = self.sandbox.limits.refuse_minutely(self.sandbox.rate_key())
            return self.send_minutely_429(headers)
        if fault["kind"] == "drop_after_commit":
            self.answer_dropped = True
            answer()
            raise DropConnection
        raise ValueError(f"unknown fault kind {fault['kind']!r}")

    # -- OAuth -----------------------------------------------------------------------------------

    def authorize(self):
        """Exact's consent page, given at once (or refused, per `consent`). Only the app's registered
        redirect URI, matched exactly, gets an answer there; anything else gets an error page and no
        redirect (CD step1; picqer#463; websmurf#8). The code rides in the query of a 302 that the
        browser follows to that https address (CD step2)."""
        sandbox = self.sandbox
        redirect_uri = self.query.get("redirect_uri", "")
        if self.query.get("client_id") != sandbox.client_id or redirect_uri != sandbox.redirect_uri:
            return self.send_raw(400, REDIRECT_REFUSED_PAGE, "text/html; charset=utf-8")
        state = self.query.get("state")
        with sandbox.lock:
            if sandbox.consent == "allow":
                params = {"code": sandbox.oauth.issue_code(redirect_uri)}
            else:
                params = {"error": "access_denied"}
        if state is not None:
            params["state"] = state
        separator = "&" if "?" in redirect_uri else "?"
        self.send_raw(302, b"", "text/html", {"Location": redirect_uri + separator + urlencode(params)})

    def token(self):
        form = {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}
        try:
            with self.sandbox.lock:
                answer = self.sandbox.oauth.token(form)
        except OAuthError as error:
            if isinstance(error.body, str):
                return self.send_raw(error.status, error.body.encode(), "text/plain", error.headers)
            return self.send_json(error.status, error.body, error.headers)
        self.send_json(200, answer, {"Cache-Control": "no-store"})

    # -- REST API ----------------------------------------------------------------------------------

    def api(self, method: str, division: int | None, path: str):
        sandbox = self.sandbox
        token = self.headers.get("Authorization", "")
        error_key = (*sandbox.rate_key(), KEY_PART.sub("", path).lower())
        with sandbox.lock:
            if sandbox.errors.is_blocked(error_key):
                return self.send_error_body(429, "Too many errors on this endpoint: the app is blocked here "
                                                 "for an hour.")
            try:
                if not token.startswith("Bearer ") or not sandbox.oauth.valid(token[7:].strip()):
                    raise ApiError(401, "Unauthorized: the access token is missing, invalid or expired.")
                # Exact reportedly does not check the division in the URL of system/Divisions (gh:picqer#470).
                if division not in (None, sandbox.division) and not path.lower().startswith("system/divisions"):
                    raise ApiError(403, "Forbidden", {"Reason": "NoDivisionAccess"})
                if division is None and not path.lower().startswith("current/"):
                    raise ApiError(404, "Resource not found: a division is needed in the URL.")
                if division is not None and not sandbox.division_ticked:
                    raise ApiError(403, DIVISION_NOT_IN_SCOPE)
                scope = scope_of(path)
                if scope is not None and not allows(sandbox.scopes, scope, method):
                    raise ApiError(403, SCOPE_VIOLATED + (". Cannot read" if method == "GET" else ""))
            except ApiError as error:
                sandbox.errors.record(error_key, error.status)
                return self.send_error_body(error.status, str(error), headers=error.headers)
            refused, limit_headers = None, {}
            # Calls without a division in the URL (current/Me) do not count toward the limits and carry
            # no limit headers (EXDOC API_limits).
            if division is not None:
                refused, limit_headers = sandbox.limits.take(sandbox.rate_key())
            if refused == "minutely":
                return self.send_minutely_429(limit_headers)
            if refused:
                return self.send_error_body(429, "Too many requests", headers=limit_headers)
            try:
                status, payload = self.route(method, path)
            except (ApiError, ODataError) as error:
                status = getattr(error, "status", 400)
                sandbox.errors.record(error_key, status)
                return self.send_error_body(status, str(error), headers=limit_headers)
        if status == 204:
            return self.send_raw(204, b"", None, limit_headers)
        if isinstance(payload, int):
            return self.send_raw(status, str(payload).encode(), "text/plain;charset=utf-8", limit_headers)
        if self.json_wanted:
            return self.send_json(status, payload, limit_headers)
        return self.send_raw(status, render.atom(payload, self.sandbox.base_url).encode(),
                             "application/atom+xml;charset=utf-8", limit_headers)

    def route(self, method: str, path: str):
        count = path.endswith("/$count")
        path = path[: -len("/$count")] if count else path
        match = re.match(r"^(?P<entity>[^(]+)(?:\((?P<key>[^)]*)\))?(?:/(?P<nav>\w+))?$", path)
        if not match:
            raise ApiError(404, "Resource not found.")
        entity = BY_PATH.get(match["entity"].lower())
        if entity is None:
            raise ApiError(404, f"Resource not found for the segment '{match['entity'].split('/')[-1]}'.")
        if method not in entity.methods:
            raise ApiError(405, f"The method {method} is not allowed for this resource.")
        key, navigation = match["key"], match["nav"]
        admin = self.sandbox.admin
        posting = Posting(admin, entity, self.sandbox.base_url)
        if method in ("POST", "PUT") and "json" not in self.headers.get("Content-Type", ""):
            raise ApiError(415, "Unsupported media type: send the body as JSON with Content-Type: application/json.")
        # Every write moves the row's rowversion (sync endpoints show it again) or logs its deletion
        # in sync/Deleted, as Exact does for the entities it syncs (PI-Sync; EXDOC Deleted.md).
        if method == "POST":
            created = posting.create(self.body)
            admin.record_write(entity.table, created)
            return 201, {"d": self.render_row(entity, created, None, set())}
        if method == "PUT":
            posting.update(self.parse_key(entity, key), self.body)
            admin.record_write(entity.table, posting.existing(self.parse_key(entity, key)))
            return 204, None
        if method == "DELETE":
            posting.delete(self.parse_key(entity, key))
            admin.record_deletion(entity.table, self.parse_key(entity, key))
            return 204, None
        if key is not None:
            return 200, self.get_one(entity, self.parse_key(entity, key), navigation)
        if entity.sync:
            return 200, self.get_sync(entity)
        return 200, self.get_collection(entity, count)

    def parse_key(self, entity: Entity, key: str | None):
        if key is None:
            raise ApiError(400, "A key is needed in the URL for this request.")
        kind = entity.schema[entity.key]
        allowed = {kind, "int"} if kind in odata.NUMERIC else {kind}
        literal = odata.tokenize(key)
        if len(literal) != 1 or literal[0][0] != "literal" or literal[0][1][0] not in allowed:
            raise ApiError(400, f"Bad Request - Error in query syntax: the key '{key}' is not a valid {kind}.")
        return literal[0][1][1]

    def table(self, entity: Entity) -> list[dict]:
        if entity.table == "me":
            return [self.sandbox.me()]
        if entity.table == "divisions":
            return [self.sandbox.division_row()]
        return list(getattr(self.sandbox.admin, entity.table).values())

    def find(self, entity: Entity, key) -> dict | None:
        if entity.table in ("me", "divisions"):
            return next((r for r in self.table(entity) if r.get(entity.key) == key), None)
        return getattr(self.sandbox.admin, entity.table).get(key)

    def get_one(self, entity: Entity, key, navigation: str | None):
        row = self.find(entity, key)
        if row is None:
            raise ApiError(404, "Resource not found.")
        if navigation == "SalesInvoiceLines" and entity.table == "invoices":
            lines = BY_PATH["salesinvoice/salesinvoices"]
            return {"d": {"results": [render.line(lines, line, self.sandbox.base_url, self.sandbox.division)
                                      for line in row["SalesInvoiceLines"]]}}
        if navigation:
            raise ApiError(404, f"Resource not found for the segment '{navigation}'.")
        select = self.parse_select(entity)
        return {"d": self.render_row(entity, row, select, self.parse_expand(entity))}

    def parse_select(self, entity: Entity) -> list[str] | None:
        text = self.query.get("$select")
        if text is None or text.strip() == "*":
            return None
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in entity.schema]
        if unknown:
            raise ODataError(f"No property '{unknown[0]}' exists in type '{entity.wire_type}'.")
        return names

    def parse_expand(self, entity: Entity) -> set[str]:
        text = self.query.get("$expand")
        if not text:
            return set()
        names = {n.strip() for n in text.split(",")}
        bad = [n for n in names if entity.schema.get(n) != "lines"]
        if bad:
            raise ODataError(f"No navigation property '{bad[0]}' exists in type '{entity.wire_type}'.")
        return names

    def render_row(self, entity: Entity, row: dict, select, expand: set[str]) -> dict:
        return render.entity(entity, row, select, expand, self.sandbox.base_url, self.sandbox.division)

    def get_collection(self, entity: Entity, count: bool):
        text = self.query.get("$filter")
        if entity.mandatory_filter and not text:
            raise ODataError("This endpoint has mandatory filtering applied. A GET request for this endpoint "
                             "must have a $filter parameter with one of the following fields in the url: "
                             f"{entity.mandatory_filter}.")
        rows = self.table(entity)
        if text and (refused := sorted(odata.filter_fields(text) & set(entity.unfilterable))):
            raise ODataError(f"Filtering on these fields is not supported: {', '.join(refused)}")
        if text:
            predicate = odata.compile_filter(text, entity.schema, entity.wire_type)
            rows = [row for row in rows if predicate(row)]
        if count:
            return len(rows)
        select, expand = self.parse_select(entity), self.parse_expand(entity)
        order = self.query.get("$orderby")
        keys = odata.order_key(order, entity.schema, entity.wire_type) if order else [(entity.key, False)]
        odata.sort_rows(rows, keys)
        skip = _int_option(self.query, "$skip", 0)
        top = _int_option(self.query, "$top", None)
        token = self.query.get("$skiptoken")
        if token is not None:
            if order:
                raise ODataError("$skiptoken cannot be combined with $orderby on this resource.")
            after = self.parse_key(entity, token)
            rows = [row for row in rows if odata.collation_key(row.get(entity.key)) > odata.collation_key(after)]
        rows = rows[skip:]
        page_size = PAGE_SIZE if top is None else min(top, PAGE_SIZE)
        page = rows[:page_size]
        result = {"results": [self.render_row(entity, row, select, expand) for row in page]}
        wanted_more = top is None or top > len(page)
        if wanted_more and len(rows) > len(page) and entity.table not in ("me", "divisions"):
            result["__next"] = self.next_link(entity, page, skip, top, order)
        return {"d": result}

    def next_link(self, entity: Entity, page: list[dict], skip: int, top: int | None, order: str | None) -> str:
        params = {k: v for k, v in self.query.items() if k not in ("$skiptoken", "$top", "$skip")}
        if top is not None:
            params["$top"] = str(top - len(page))
        if order:
            params["$skip"] = str(skip + len(page))
        else:
            params["$skiptoken"] = render.literal(entity.schema[entity.key], page[-1][entity.key])
        return self.absolute(entity.path, params)

    def absolute(self, path: str, params: dict) -> str:
        query = "&".join(f"{k}={quote(v, safe=URL_SAFE)}" for k, v in params.items())
        return f"{self.sandbox.base_url}/api/v1/{self.sandbox.division}/{path}?{query}"

    def get_sync(self, entity: Entity):
        select = self.parse_select(entity)
        top_one = self.query.get("$top") == "1"
        if select is None and not top_one:
            raise ODataError(SELECT_NEEDED)
        floor, equals = 0, {}
        if self.query.get("$filter"):
            floor, equals = odata.timestamp_floor(self.query["$filter"])
        if set(equals) - ({"EntityType"} if entity.table == "deleted" else set()):
            raise ODataError(BAD_SYNC_FILTER)
        after = 0
        if "$skiptoken" in self.query:
            after = int(self.parse_key(entity, self.query["$skiptoken"]))
        limit = 1 if top_one else SYNC_PAGE_SIZE
        rows, more = self.sandbox.admin.changed_since(entity.table, floor, after, limit, equals)
        result = {"results": [self.render_row(entity, row, select, set()) for row in rows]}
        if more and not top_one:
            params = {k: v for k, v in self.query.items() if k != "$skiptoken"}
            params["$skiptoken"] = f"{rows[-1]['Timestamp']}L"
            result["__next"] = self.absolute(entity.path, params)
        return {"d": result}

    # -- answers ---------------------------------------------------------------------------------------

    def send_raw(self, status: int, body: bytes, content_type: str | None, headers: dict | None = None):
        if self.answer_dropped:
            return
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, payload, headers: dict | None = None):
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode()
        self.send_raw(status, body, "application/json; charset=utf-8", headers)

    def send_minutely_429(self, headers: dict):
        # A minutely 429 may come with an empty body (picqer#528): the sandbox always sends it empty,
        # so no client can come to rely on an error body there.
        self.send_raw(429, b"", None, headers)

    def send_error_body(self, status: int, message: str, headers: dict | None = None, json_errors: bool = False):
        if json_errors or self.json_wanted:
            return self.send_json(status, {"error": {"code": "", "message": {"lang": "", "value": message}}}, headers)
        return self.send_raw(status, render.atom_error(message).encode(), "application/xml;charset=utf-8", headers)


def _int_option(query: dict, name: str, default):
    text = query.get(name)
    if text is None:
        return default
    if not text.isdigit():
        raise ODataError(f"Invalid value '{text}' for {name}: a non-negative integer is needed.")
    return int(text)


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {value!r}")

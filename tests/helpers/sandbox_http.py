"""Talking to the sandbox over plain HTTP the way any Exact client does."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from exactsync.sandbox import DEFAULT_REDIRECT_URI as REDIRECT_URI


def authorize(sb, state: str = "s1") -> dict:
    """The browser step: consent, then the redirect's query."""
    answer = requests.get(f"{sb.base_url}/api/oauth2/auth", allow_redirects=False, params={
        "client_id": sb.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "state": state})
    assert answer.status_code == 302, answer.text
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def token_call(sb, **form) -> requests.Response:
    return requests.post(f"{sb.base_url}/api/oauth2/token",
                         data={"client_id": sb.client_id, "client_secret": sb.client_secret, **form})


def exchange(sb, code: str) -> requests.Response:
    return token_call(sb, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)


def connect(sb) -> dict:
    answer = exchange(sb, authorize(sb)["code"])
    assert answer.status_code == 200, answer.text
    return answer.json()


class Api:
    """GET/POST against {base}/api/v1/{division}/ with a bearer token and JSON."""

    def __init__(self, sb, tokens: dict | None = None):
        self.sb = sb
        self.tokens = tokens or connect(sb)
        self.session = requests.Session()

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.tokens['access_token']}", "Accept": "application/json"}

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.sb.base_url}/api/v1/{self.sb.division}/{path}"

    def get(self, path: str, **params) -> requests.Response:
        return self.session.get(self.url(path), params=params or None, headers=self.headers)

    def post(self, path: str, payload) -> requests.Response:
        return self.session.post(self.url(path), json=payload, headers=self.headers)

    def put(self, path: str, payload) -> requests.Response:
        return self.session.put(self.url(path), json=payload, headers=self.headers)

    def read_all(self, path: str, **params) -> tuple[list[dict], int]:
        """Follow __next to the end; returns the rows and the number of pages."""
        answer = self.get(path, **params)
        rows, pages = [], 0
        while True:
            assert answer.status_code == 200, answer.text
            data = answer.json()["d"]
            rows += data["results"]
            pages += 1
            if not data.get("__next"):
                return rows, pages
            answer = self.get(data["__next"])


def error_value(answer: requests.Response) -> str:
    return answer.json()["error"]["message"]["value"]

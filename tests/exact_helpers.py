"""Running exactsync against the embedded Exact sandbox: config, a fake browser, the connect round trip."""

from __future__ import annotations

import socket
import threading
import webbrowser

import requests

from exactsync import config as config_mod


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def point_config_at(config_path, sandbox, **settings) -> config_mod.Config:
    config = config_mod.load(config_path)
    values = {"base_url": sandbox.base_url, "client_id": sandbox.client_id, "client_secret": sandbox.client_secret,
              "redirect_uri": f"http://127.0.0.1:{free_port()}/callback"}
    for name, value in values.items():
        config = config_mod.update(config, "exact", name, value)
    for name, value in settings.items():
        config = config_mod.update(config, "settings", name, value)
    return config


class Browser:
    """Stands in for the user's browser: opens the authorize URL, lets Exact redirect it
    to our listener, and keeps what it saw (codes are checked against every output)."""

    def __init__(self, monkeypatch, tamper=lambda location: location):
        self.tamper = tamper
        self.locations: list[str] = []
        self.pages: list[tuple[int, str]] = []
        self.threads: list[threading.Thread] = []
        monkeypatch.setattr(webbrowser, "open", self.open)

    def open(self, url: str) -> bool:
        self.threads.append(threading.Thread(target=self.visit, args=(url,), daemon=True))
        self.threads[-1].start()
        return True

    def wait(self) -> "Browser":
        """Until the browser has shown the page our listener answered with."""
        for thread in self.threads:
            thread.join(10)
        return self

    def visit(self, url: str) -> None:
        location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
        self.locations.append(location)
        answer = requests.get(self.tamper(location), timeout=10)
        self.pages.append((answer.status_code, answer.text))


def connect(run, monkeypatch):
    browser = Browser(monkeypatch)
    result = run("connect", "--timeout", "20")
    assert result.exit_code == 0, result.output
    return browser.wait(), result


def log_in(sandbox, config) -> None:
    """The consent round trip without a browser: what `connect` leaves behind, tokens on disk."""
    from exactsync.exact import ExactClient

    query = {"client_id": sandbox.client_id, "redirect_uri": config.redirect_uri, "response_type": "code",
             "state": "s"}
    location = requests.get(f"{sandbox.base_url}/api/oauth2/auth", params=query, allow_redirects=False,
                            timeout=10).headers["Location"]
    code = location.split("code=", 1)[1].split("&", 1)[0]
    ExactClient.from_config(config).auth.exchange_code(code)

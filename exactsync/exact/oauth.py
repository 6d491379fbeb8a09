"""requests-oauthlib, for the calls to Exact's token endpoint and the login's address only.

auth.py imports this module where those happen: a run whose access token is still good (every other
cron run, a token living 10 minutes) then starts without oauthlib.
"""

from __future__ import annotations

from oauthlib.oauth2 import AccessDeniedError, MismatchingStateError, OAuth2Error
from requests_oauthlib import OAuth2Session

__all__ = ["AccessDeniedError", "MismatchingStateError", "OAuth2Error", "TransportSession"]


class TransportSession(OAuth2Session):
    """requests-oauthlib builds and reads the token calls; they travel over the client's own session
    (its connections, and whatever a test puts in its place)."""

    def __init__(self, transport, **kwargs):
        super().__init__(**kwargs)
        self.transport = transport

    def request(self, method, url, data=None, headers=None, withhold_token=False, timeout=None, **ignored):
        return self.transport.post(url, data=data, headers=headers, timeout=timeout)

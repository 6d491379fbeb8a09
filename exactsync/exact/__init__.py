"""The Exact Online client every command uses: OAuth tokens, paging, rate limits and errors.

`ExactClient` and `TokenStore` are loaded when first used: the client brings requests (and, for
token calls only, oauthlib), which commands that only read the store (status, log, --help) do without.
"""

import importlib

_MODULE_OF = {"ExactClient": "exactsync.exact.client", "TokenStore": "exactsync.exact.tokens"}

__all__ = ["ExactClient", "TokenStore", "odata"]


def __getattr__(name: str):
    if name in _MODULE_OF:
        return getattr(importlib.import_module(_MODULE_OF[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

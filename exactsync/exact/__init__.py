"""The Exact Online client every command uses: OAuth tokens, paging, rate limits and errors."""

from exactsync.exact import odata
from exactsync.exact.client import ExactClient
from exactsync.exact.tokens import TokenStore

__all__ = ["ExactClient", "TokenStore", "odata"]

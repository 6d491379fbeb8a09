"""The store: the one place that knows the SQL.

`db` opens the SQLite file and brings its schema up to date (`migrations`), holds the
transaction and the run lock; the other modules are small named functions over one
kind of data each, taking the db and plain values and returning rows as dicts or plain
values. The domain (sync/, workorders/, wipe, log) calls them; nothing else writes SQL
(tests/test_store_owns_sql.py keeps it so).
"""

from exactsync.locks import Busy
from exactsync.store.db import MIGRATIONS, migrate, open_store, run_lock, store_failure, transaction, utcnow
from exactsync.store.state import get_state, raise_mutation_date, set_state

__all__ = [
    "MIGRATIONS", "Busy", "get_state", "migrate", "open_store", "raise_mutation_date",
    "run_lock", "set_state", "store_failure", "transaction", "utcnow",
]

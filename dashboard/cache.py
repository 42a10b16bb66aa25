"""The dashboard's cache of engine results and built views: a bounded LRU keyed (warehouse identity, name, args).

Only bounded keys and non-empty results enter it (the rules are applied by dashboard.data's decorators): an
argument that is still unbounded (a long string, a big tuple) is computed but not stored, and so is an empty
result — a year or region without data costs a query each time but never evicts a view people use. A newly
published warehouse is a new identity, so its entries never mix with the previous one's, which are dropped
once the new one serves (drop_others). Cached values are shared between requests: treat them as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import pandas as pd

LRU_SIZE = 640  # the warm set (every year of the common views and the data under them) is ~300 entries
MAX_KEY_CHARS = 64  # longest string argument that may be part of a cache key (codes, periods, names of queries)
MAX_KEY_ITEMS = 128  # longest tuple argument (the 116 region codes fit)


def bounded(value: Any) -> bool:
    """True for a cache key made of small scalars and short tuples of them: ('DI-01', ('150100',), 2023)."""
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_KEY_CHARS
    return isinstance(value, tuple) and len(value) <= MAX_KEY_ITEMS and all(bounded(v) for v in value)


def empty(result: Any) -> bool:
    """An empty frame, list or mapping, or None: the answer to a question about data that does not exist."""
    if isinstance(result, pd.DataFrame):
        return result.empty
    return result is None or (isinstance(result, list | tuple | dict) and not result)


class ViewCache:
    """Least recently used first out, safe to share between the request threads and the warmer."""

    def __init__(self, size: int = LRU_SIZE):
        self.size = size
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, key: tuple) -> tuple[bool, Any]:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return True, self._entries[key]
        return False, None

    def store(self, key: tuple, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop_others(self, identity: tuple[int, int]) -> None:
        """Forget the entries of every warehouse but this one (the one now served)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] != identity]:
                del self._entries[key]

    def __iter__(self) -> Iterator[tuple]:
        """The keys, oldest first (a copy: safe while other threads store)."""
        with self._lock:
            return iter(list(self._entries))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

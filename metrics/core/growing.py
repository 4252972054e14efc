"""Per-sample rows that grow at the end and drop from the front, copying only what is new.

A live engine appends a few dozen samples to buffers of a few thousand several times a
second; concatenating copied the whole buffer every time. Here the samples live in a
store with room to spare: an append writes the new samples after the others, a drop moves
the start, and the store is copied only when it is full (to one twice the size of what is
held). Every array handed out is a view of samples already written, which later appends
and drops never change.
"""

from __future__ import annotations

import numpy as np

MIN_ROOM = 1024  # samples


class GrowingRows:
    def __init__(self, rows: tuple[int, ...], dtype: type = float) -> None:
        self._store = np.empty((*rows, MIN_ROOM), dtype=dtype)
        self._start = self._end = 0

    @property
    def rows(self) -> np.ndarray:
        """The samples held, (*rows, n): a view."""
        return self._store[..., self._start: self._end]

    def append(self, new: np.ndarray) -> np.ndarray:
        """Add samples (*rows, k) at the end; the samples now held."""
        k = new.shape[-1]
        if self._end + k > self._store.shape[-1]:
            held = self._end - self._start
            room = max(2 * (held + k), MIN_ROOM)
            store = np.empty((*self._store.shape[:-1], room), dtype=self._store.dtype)
            store[..., :held] = self.rows
            self._store, self._start, self._end = store, 0, held
        self._store[..., self._end: self._end + k] = new
        self._end += k
        return self.rows

    def drop(self, count: int) -> np.ndarray:
        """Forget the first `count` samples; the samples now held."""
        self._start = min(self._start + count, self._end)
        return self.rows

"""The id-set bookkeeping: every enabled id beat knows (entries and unschedulable rows), kept as
per-bucket count/sum aggregates so deletes are found by comparing a few aggregate rows with the
database instead of listing 100,000 ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from osrs_diff.beat.entries import IntervalEntry, StockEntry

# Ids are grouped in buckets of this size for the delete check: one aggregate row per bucket.
BUCKET_SHIFT = 10


class KnownIdsMixin:
    """Adds/removes ids to `_entries` / `_broken` and keeps the bucket aggregates in step."""

    def _count_in(self, pk: int) -> None:
        bucket = self._buckets.setdefault(pk >> BUCKET_SHIFT, [0, 0])
        bucket[0] += 1
        bucket[1] += pk
        self._known_count += 1
        self._known_sum += pk

    def _count_out(self, pk: int) -> None:
        key = pk >> BUCKET_SHIFT
        bucket = self._buckets[key]
        bucket[0] -= 1
        bucket[1] -= pk
        if not bucket[0]:
            del self._buckets[key]
        self._known_count -= 1
        self._known_sum -= pk

    def _set_entry(self, entry: IntervalEntry | StockEntry) -> None:
        pk = entry.id
        if pk not in self._entries and pk not in self._broken:
            self._count_in(pk)
        self._broken.pop(pk, None)
        self._entries[pk] = entry

    def _set_broken(self, pk: int, changed_ts: float | None) -> None:
        if pk not in self._entries and pk not in self._broken:
            self._count_in(pk)
        self._entries.pop(pk, None)
        self._broken[pk] = changed_ts or 0.0

    def _remove(self, pk: int) -> None:
        known = self._entries.pop(pk, None) is not None
        known = (self._broken.pop(pk, None) is not None) or known
        if known:
            self._count_out(pk)
        self._dirty.discard(pk)

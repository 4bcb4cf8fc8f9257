"""A django-celery-beat scheduler that stays fast with 100,000 per-player PeriodicTasks.

`IncrementalDatabaseScheduler` is a drop-in subclass of django-celery-beat's `DatabaseScheduler`:
the PeriodicTask rows, the admin and the `PeriodicTasks.update_changed()` signal stay exactly as
they are. What changes is how beat holds and refreshes the schedule:

- One heap keyed by the next due time. A tick pops what is due and sends it; it never walks the
  whole schedule, and it sends every due entry in one tick (bounded by a time budget) instead of
  one entry per tick.
- Player-shaped interval tasks are held as compact slotted entries (JSON kept as text, schedules
  and options shared), a few hundred bytes each. Everything else (crontab, solar, clocked,
  one-off, expiring and `system:` tasks) is held as the stock `ModelEntry` and decided by its own
  `is_due()`, so it behaves exactly as under the stock scheduler.
- Changes are read incrementally: when `PeriodicTasks.last_update` moves, only rows whose
  `date_changed` is recent are fetched (ids and timestamps first, full rows only for what differs).
  Deletes leave no row behind, so the set of enabled ids is compared by per-bucket count/sum
  aggregates and only mismatching buckets are listed. A full resync, done in id-ordered chunks
  spread over ticks, repairs anything missed (for example a `QuerySet.update()` that neither
  touched `date_changed` nor signalled).
- `last_run_at`/`total_run_count` are written back with `bulk_update` in batches, only for rows
  still enabled.
- Entries that became due while beat was down (or after a cadence change) are spread over
  `min(interval, catchup_window_seconds)` instead of being sent in one burst.

Parts: `rows` (row access SQL), `entries` (entry types), `scheduler` (the class, with `changes`,
`building` and `known_ids` mixed in), `memory` (`malloc_trim`), and `api` (`next_run_at()`,
`send_options()`: what beat does with a task, for the code outside beat). The package imports no
app. `CELERY_BEAT_SCHEDULER="osrs_diff.beat:IncrementalDatabaseScheduler"`.
"""

from osrs_diff.beat.api import SYSTEM_TASK_PREFIX, next_run_at, send_options, system_task_name
from osrs_diff.beat.entries import IntervalEntry, StockEntry
from osrs_diff.beat.scheduler import IncrementalDatabaseScheduler

__all__ = [
    "SYSTEM_TASK_PREFIX",
    "IncrementalDatabaseScheduler",
    "IntervalEntry",
    "StockEntry",
    "next_run_at",
    "send_options",
    "system_task_name",
]

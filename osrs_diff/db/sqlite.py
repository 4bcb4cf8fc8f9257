"""SQLite: the embedded mode (`make run` without services). Portable ORM forms, no statistics."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

NATIVE_SQL = False


def estimated_row_count(db_table: str) -> int | None:
    """SQLite keeps no row estimate: callers count."""
    return None


def aware(value: datetime | str) -> datetime:
    """SQLite hands raw timestamps back naive, or as text: UTC either way."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

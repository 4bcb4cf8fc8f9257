"""Operations: system PeriodicTasks (list, run now), system stats; `osrs_diff.metrics` is /metrics.

System tasks are every django-celery-beat PeriodicTask except the per-player fetch tasks
(`players.fetch_hiscores:<id>`, owned by `players/schedules.py`); the project's own are named
`system: <what>` and created by data migrations.
"""

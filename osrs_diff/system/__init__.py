"""The operations app (label `system`): system PeriodicTasks (list, run now), system stats, the
`/metrics` page (`metrics.py`) and the drift check (`tasks.py`).

System tasks are every django-celery-beat PeriodicTask except the per-player fetch tasks
(`players.fetch_hiscores:<id>`, owned by `players/schedules.py`); the project's own are named
`system: <what>` and created by data migrations.
"""

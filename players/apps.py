from django.apps import AppConfig


class PlayersConfig(AppConfig):
    """Tracked players, game modes and their per-player fetch schedules."""

    name = "players"

from django.apps import AppConfig


class OsrsDiffConfig(AppConfig):
    """Project-wide wiring: system checks and management commands."""

    name = "osrs_diff"
    verbose_name = "osrs-diff"

    def ready(self) -> None:
        from osrs_diff import checks  # noqa: F401  (registers the system checks)

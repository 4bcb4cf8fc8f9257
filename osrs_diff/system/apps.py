from django.apps import AppConfig


class SystemConfig(AppConfig):
    """Operations: system tasks, system stats, the /metrics page and their admin."""

    name = "osrs_diff.system"
    label = "system"
    verbose_name = "Operations"

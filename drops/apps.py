from django.apps import AppConfig


class DropsConfig(AppConfig):
    name = "drops"
    verbose_name = "Drop parties"

    def ready(self) -> None:
        from drops import checks  # noqa: F401  (registers the system checks)

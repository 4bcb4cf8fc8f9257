from django.apps import AppConfig


class HiscoresConfig(AppConfig):
    name = "hiscores"

    def ready(self) -> None:
        from hiscores import breaker, client  # noqa: F401  (client: resets on setting changes)
        from osrs_diff.health import register_readiness_check

        # Non-critical: with the breaker open the API still serves stored data.
        register_readiness_check("hiscores", breaker.readiness_check, critical=False)

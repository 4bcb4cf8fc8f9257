from django.apps import AppConfig


def _breaker_readiness():
    from hiscores.integration.shared import readiness_check

    return readiness_check()


class HiscoresConfig(AppConfig):
    name = "hiscores"

    def ready(self) -> None:
        from osrs_diff.health import register_readiness_check

        # Non-critical: with the breaker open the API still serves stored data. Imported lazily
        # so processes that never call the hiscores (beat) don't load the HTTP client stack.
        register_readiness_check("hiscores", _breaker_readiness, critical=False)

from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "history"

    def ready(self) -> None:
        # Achievements and records follow every stored snapshot (hiscores never imports history).
        from hiscores.stored import snapshot_stored_subscribe
        from history.services import snapshot_derive

        snapshot_stored_subscribe(snapshot_derive)

from django.apps import AppConfig


class HiscoresConfig(AppConfig):
    name = "hiscores"

"""System checks that refuse to start a misconfigured deployment."""

from django.conf import settings
from django.core.checks import Error, register

UTC_NAMES = {"UTC", "Etc/UTC"}


@register(deploy=False)
def check_time_zone(app_configs, **kwargs) -> list[Error]:
    """Everything runs in UTC: snapshots, schedules and the daily 02:00 job depend on it."""
    errors = []
    if settings.TIME_ZONE not in UTC_NAMES:
        errors.append(
            Error(f"TIME_ZONE must be UTC, not {settings.TIME_ZONE!r}.", id="osrs_diff.E001")
        )
    if not settings.USE_TZ:
        errors.append(Error("USE_TZ must be True.", id="osrs_diff.E002"))
    if getattr(settings, "CELERY_TIMEZONE", "UTC") not in UTC_NAMES:
        errors.append(Error("CELERY_TIMEZONE must be UTC.", id="osrs_diff.E003"))
    return errors


@register(deploy=False)
def check_beat_scheduler(app_configs, **kwargs) -> list[Error]:
    """Per-player schedules live in django-celery-beat: beat must use a database scheduler."""
    scheduler = getattr(settings, "CELERY_BEAT_SCHEDULER", "")
    if not scheduler:
        return [
            Error(
                "CELERY_BEAT_SCHEDULER is not set.",
                hint="Use django_celery_beat.schedulers:DatabaseScheduler or a subclass.",
                id="osrs_diff.E004",
            )
        ]
    from django.utils.module_loading import import_string

    try:
        scheduler_class = import_string(scheduler.replace(":", "."))
    except ImportError as exc:
        return [Error(f"CELERY_BEAT_SCHEDULER cannot be imported: {exc}", id="osrs_diff.E005")]
    from django_celery_beat.schedulers import DatabaseScheduler

    if not (isinstance(scheduler_class, type) and issubclass(scheduler_class, DatabaseScheduler)):
        return [
            Error(
                f"CELERY_BEAT_SCHEDULER {scheduler!r} is not a django-celery-beat "
                "DatabaseScheduler.",
                id="osrs_diff.E006",
            )
        ]
    return []


@register(deploy=False)
def check_public_read_throttle(app_configs, **kwargs) -> list[Error]:
    """PUBLIC_READ_THROTTLE_RATE parses as DRF's "<number>/<second|minute|hour|day>"."""
    rate = getattr(settings, "PUBLIC_READ_THROTTLE_RATE", "120/minute")
    number, _, period = str(rate).partition("/")
    if not (number.strip().isdigit() and period[:1] in ("s", "m", "h", "d")):
        return [
            Error(
                f"PUBLIC_READ_THROTTLE_RATE {rate!r} is not like 120/minute.",
                id="osrs_diff.E030",
            )
        ]
    return []

"""System checks that refuse to start a misconfigured deployment."""

from django.conf import settings
from django.core.checks import Error, Warning, register

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


@register(deploy=False)
def check_defer_bound_leaves_room_for_web_requests(app_configs, **kwargs) -> list[Warning]:
    """Scheduled fetches fill the politeness queue up to FETCH_DEFER_AFTER_SECONDS: a web request
    that needs the hiscores must still find slots inside its deadline (docs/fetching.md)."""
    from django.conf import settings

    rate = float(getattr(settings, "OSRS_HISCORES_RATE", 0) or 0)
    if rate <= 0:
        return []
    room = float(settings.OSRS_HISCORES_WEB_DEADLINE) - 2.0 / rate
    if float(settings.FETCH_DEFER_AFTER_SECONDS) <= room:
        return []
    return [
        Warning(
            f"FETCH_DEFER_AFTER_SECONDS ({settings.FETCH_DEFER_AFTER_SECONDS:g} s) leaves web "
            f"requests no room: keep it at most OSRS_HISCORES_WEB_DEADLINE - 2 / "
            f"OSRS_HISCORES_RATE ({max(room, 0):.1f} s), or adding players answers 503 "
            "rate_limited while the schedules run over budget.",
            id="osrs_diff.W031",
        )
    ]

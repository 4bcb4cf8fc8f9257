"""System checks for the drop-party settings: refuse to start with values that make no sense."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from drops.throttling import parse_rate


@register(deploy=False)
def check_drop_settings(app_configs, **kwargs) -> list[Error]:
    """DROPS_THROTTLE_RATE parses; the duplicate window and idle timeout are positive."""
    errors = []
    try:
        parse_rate(settings.DROPS_THROTTLE_RATE)
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="drops.E001"))
    if settings.DROP_DUPLICATE_WINDOW_SECONDS < 0:
        errors.append(Error("DROP_DUPLICATE_WINDOW_SECONDS must be >= 0.", id="drops.E002"))
    if settings.DROP_PARTY_IDLE_SECONDS <= 0:
        errors.append(Error("DROP_PARTY_IDLE_SECONDS must be > 0.", id="drops.E003"))
    return errors

"""JWT authentication that also honours logouts.

simplejwt blacklists refresh tokens only; an access token would stay valid for the rest of its
15 minutes after a logout. Logging out therefore also revokes the access token it was called with:
its id goes into the cache (Redis) until the token would have expired anyway, and every request
checks that denylist with one cache read - together with its token family's entry, set when a
reused refresh token revoked the family (osrs_diff.auth.tokens).
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from osrs_diff.auth.tokens import FAMILY_CLAIM, revoked_family_key

logger = logging.getLogger(__name__)

_REVOKED_PREFIX = "jwt:revoked-access:"


def revoke_access_token(token: Token) -> None:
    """Refuse this access token from now until it expires."""
    remaining = int(token.payload.get("exp", 0) - time.time()) + 1
    if remaining > 0:
        cache.set(_REVOKED_PREFIX + str(token.payload[api_settings.JTI_CLAIM]), 1, remaining)


def _is_revoked(token: Token) -> bool:
    keys = [_REVOKED_PREFIX + str(token.payload.get(api_settings.JTI_CLAIM))]
    family = token.payload.get(FAMILY_CLAIM)
    if family:  # a reused refresh token revoked the family this token was issued in
        keys.append(revoked_family_key(str(family)))
    try:
        return bool(cache.get_many(keys))
    except Exception as exc:  # the cache (Redis) is down: reads and drops must keep working
        logger.warning("access-token denylist unavailable (%s); token accepted", exc.__class__)
        return False


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's bearer authentication plus the logout denylist."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        if _is_revoked(token):
            raise InvalidToken(
                {"detail": "Token has been revoked (logged out).", "code": "token_not_valid"}
            )
        return token


class JWTScheme(SimpleJWTScheme):
    """OpenAPI: document our subclass like simplejwt's own bearer scheme."""

    target_class = "osrs_diff.authentication.JWTAuthentication"

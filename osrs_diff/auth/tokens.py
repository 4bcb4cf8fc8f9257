"""JWTs that are safe to parse, and refresh rotation that cannot be forked.

* Claims are checked for shape before anything uses them: a token signed with our key but with
  `user_id` "1 OR 1=1", a list or a dict, or `exp=1e30`, is an invalid token (401), not a 500.
* Every refresh token belongs to a *family*: the `fam` claim is the id (jti) of the refresh token
  the login issued, copied to every token rotated from it (access tokens included).
* `refresh_rotate` locks the refresh token's OutstandingToken row, so of any number of concurrent
  uses of one refresh token exactly one rotates it; the others find it blacklisted.
* Presenting a refresh token that is already blacklisted (rotated or logged out) means it was
  copied - unless it was rotated less than `JWT_REFRESH_REUSE_GRACE_SECONDS` (default 10) ago,
  which is the losers of a concurrent refresh (refused with 401, nothing revoked). Otherwise the
  whole family is revoked - its outstanding refresh tokens are blacklisted and its
  access tokens are denied until they expire (`osrs_diff.authentication`).
* A token carries a fingerprint of the user's password hash (simplejwt's CHECK_REVOKE_TOKEN
  claim); after a password change no token issued before it works, and a refresh with such a
  token blacklists every refresh token of the user.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import get_md5_hash_password

logger = logging.getLogger(__name__)

FAMILY_CLAIM = "fam"
_REVOKED_FAMILY_PREFIX = "jwt:revoked-family:"
# Largest id a BigAutoField holds; the latest instant datetime can hold (9999-12-31).
_MAX_USER_ID = 2**63 - 1
_MAX_TIMESTAMP = 253_402_300_799


class TokenReused(TokenError):
    """A refresh token that was already rotated or logged out was presented again."""


def _valid_user_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 < value <= _MAX_USER_ID
    if isinstance(value, str):
        return value.isascii() and value.isdigit() and 0 < int(value) <= _MAX_USER_ID
    return False


def _valid_timestamp(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and 0 <= value <= _MAX_TIMESTAMP


def check_claims(payload: dict[str, Any]) -> None:
    """Raise TokenError unless every claim we read has a usable type and range."""
    if not _valid_user_id(payload.get(api_settings.USER_ID_CLAIM)):
        raise TokenError("Token contained no recognizable user identification")
    for claim in ("exp", "iat"):
        if (claim in payload or claim == "exp") and not _valid_timestamp(payload.get(claim)):
            raise TokenError(f"Token has an invalid '{claim}' claim")
    for claim in (api_settings.JTI_CLAIM, FAMILY_CLAIM, api_settings.REVOKE_TOKEN_CLAIM):
        if claim in payload and not isinstance(payload[claim], str):
            raise TokenError(f"Token has an invalid '{claim}' claim")


def user_id_of(token: tokens.Token) -> int:
    return int(token.payload[api_settings.USER_ID_CLAIM])


def family_of(token: tokens.Token) -> str:
    """The token's family: its `fam` claim, or its own id for tokens issued before families."""
    return str(token.payload.get(FAMILY_CLAIM) or token.payload[api_settings.JTI_CLAIM])


class AccessToken(tokens.AccessToken):
    def verify(self) -> None:
        check_claims(self.payload)
        super().verify()


class RefreshToken(tokens.RefreshToken):
    access_token_class = AccessToken

    def verify(self) -> None:
        check_claims(self.payload)
        super().verify()

    def check_blacklist(self) -> None:
        try:
            super().check_blacklist()
        except TokenError as exc:
            raise TokenReused(str(exc)) from exc

    @classmethod
    def for_user(cls, user: Any) -> RefreshToken:
        """A new family's first refresh token (login)."""
        token = super().for_user(user)
        token[FAMILY_CLAIM] = token[api_settings.JTI_CLAIM]
        # simplejwt stored the token before the family claim existed; store what we hand out.
        OutstandingToken.objects.filter(jti=token[api_settings.JTI_CLAIM]).update(token=str(token))
        return token


def revoked_family_key(family: str) -> str:
    return _REVOKED_FAMILY_PREFIX + family


def _unverified_payload(raw: str) -> dict[str, Any]:
    try:
        return jwt.decode(raw, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}


def _blacklist(rows: list[OutstandingToken]) -> int:
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=row) for row in rows], ignore_conflicts=True
    )
    return len(rows)


def _live_rows(user_id: int):
    return OutstandingToken.objects.filter(
        user_id=user_id, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )


def token_family_revoke(*, user_id: int, family: str) -> int:
    """Blacklist every outstanding refresh token of the family and deny its access tokens."""
    rows = [
        row
        for row in _live_rows(user_id)
        if family_of_payload(_unverified_payload(row.token)) == family
    ]
    try:
        lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
        cache.set(revoked_family_key(family), 1, int(lifetime.total_seconds()) + 1)
    except Exception as exc:  # Redis down: the refresh tokens are still blacklisted
        logger.warning("could not deny the access tokens of a revoked family (%s)", exc.__class__)
    return _blacklist(rows)


def family_of_payload(payload: dict[str, Any]) -> str | None:
    return payload.get(FAMILY_CLAIM) or payload.get(api_settings.JTI_CLAIM)


def user_tokens_revoke(*, user_id: int, password_hash: str) -> int:
    """Blacklist the user's outstanding refresh tokens issued under another password."""
    fingerprint = get_md5_hash_password(password_hash)
    claim = api_settings.REVOKE_TOKEN_CLAIM
    rows = [
        row
        for row in _live_rows(user_id)
        if _unverified_payload(row.token).get(claim) != fingerprint
    ]
    return _blacklist(rows)


def _user_for(token: tokens.Token) -> Any:
    """The token's user, active, with the password the token was issued under; else 401."""
    user = get_user_model().objects.filter(pk=user_id_of(token)).first()
    if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
        # simplejwt's own refresh answer for an inactive user (a deleted one was a 500).
        raise AuthenticationFailed(
            "No active account found for the given token.", "no_active_account"
        )
    if api_settings.CHECK_REVOKE_TOKEN and token.payload.get(
        api_settings.REVOKE_TOKEN_CLAIM
    ) != get_md5_hash_password(user.password):
        user_tokens_revoke(user_id=user.pk, password_hash=user.password)
        # What JWTAuthentication answers for an access token of the old password.
        raise AuthenticationFailed("The user's password has been changed.", "password_changed")
    return user


def refresh_rotate(*, raw: str) -> dict[str, str]:
    """A new access token (and, rotating, a new refresh token) for a refresh token, exactly once.

    Raises TokenError or AuthenticationFailed (401) for any unusable token; a reused one revokes
    its family first.
    """
    try:
        token = RefreshToken(raw)
    except TokenReused:
        _revoke_reused(raw)
        raise
    _user_for(token)
    jti = token.payload[api_settings.JTI_CLAIM]
    with transaction.atomic():
        row = OutstandingToken.objects.select_for_update().filter(jti=jti).first()
        if row is None:  # issued without the outstanding list (not by us): record it first
            token.outstand()
            row = OutstandingToken.objects.select_for_update().get(jti=jti)
        # Behind the row lock: a concurrent rotation of the same token has committed by now.
        reused = BlacklistedToken.objects.filter(token=row).exists()
        if not reused:
            BlacklistedToken.objects.create(token=row)
            data = {"access": str(token.access_token)}
            family = family_of(token)
            token.set_jti()
            token.set_exp()
            token.set_iat()
            token[FAMILY_CLAIM] = family
            token.outstand()
            data["refresh"] = str(token)
    if reused:
        _revoke_reused(raw)
        raise TokenReused("Token is blacklisted")
    return data


def _rotated_moments_ago(jti: Any) -> bool:
    """Whether the token was rotated (blacklisted) within the reuse grace window.

    Concurrent uses of one refresh token (a client racing itself) lose to the one that rotated
    it; they are refused but are not taken for theft, so the winner's new tokens keep working.
    """
    grace = float(getattr(settings, "JWT_REFRESH_REUSE_GRACE_SECONDS", 10))
    if grace <= 0 or not isinstance(jti, str):
        return False
    since = timezone.now() - timedelta(seconds=grace)
    return BlacklistedToken.objects.filter(token__jti=jti, blacklisted_at__gt=since).exists()


def _revoke_reused(raw: str) -> None:
    payload = _unverified_payload(raw)  # the signature was verified by the caller
    family = family_of_payload(payload)
    if family is None:
        return
    if _rotated_moments_ago(payload.get(api_settings.JTI_CLAIM)):
        logger.info("refresh token used again right after its rotation: refused, not revoked")
        return
    revoked = token_family_revoke(
        user_id=int(payload[api_settings.USER_ID_CLAIM]), family=str(family)
    )
    logger.warning("refresh token reused: family revoked (%d refresh tokens blacklisted)", revoked)

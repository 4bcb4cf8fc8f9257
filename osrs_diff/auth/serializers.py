"""simplejwt serializers bound to our strict token classes (SIMPLE_JWT settings name them)."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt import serializers

from osrs_diff.auth.tokens import RefreshToken, refresh_rotate
from osrs_diff.fields import RejectUnknownFieldsMixin, StrictCharField


class TokenRefreshSerializer(RejectUnknownFieldsMixin, serializers.TokenRefreshSerializer):
    """`POST /auth/refresh`: rotate exactly once; a reused token revokes its family.

    The body is strict: `refresh` must be a JSON string and no other field is accepted (400).
    """

    refresh = StrictCharField()
    token_class = RefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        return refresh_rotate(raw=attrs["refresh"])


class TokenBlacklistSerializer(serializers.TokenBlacklistSerializer):
    """`POST /auth/logout`."""

    token_class = RefreshToken

"""Project-level endpoints: health, readiness, authentication and the catch-all 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
)

from osrs_diff import health
from osrs_diff.auth.lockout import locked_out
from osrs_diff.auth.tokens import RefreshToken
from osrs_diff.authentication import JWTAuthentication, revoke_access_token
from osrs_diff.exceptions import NotFound, error_body
from osrs_diff.fields import StrictCharField
from osrs_diff.throttling import ScopedRateThrottle


class HealthView(APIView):
    """Liveness: 200 while the process can answer."""

    name = "Health"

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses=inline_serializer("Health", {"status": serializers.CharField()}),
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class ReadinessView(APIView):
    """Readiness: 200 when the database and the broker answer, 503 naming what is down."""

    name = "Readiness"

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={
            200: inline_serializer(
                "Readiness",
                {
                    "status": serializers.CharField(),
                    "checks": serializers.DictField(child=serializers.DictField()),
                },
            ),
            503: OpenApiTypes.OBJECT,
        },
        tags=["health"],
    )
    def get(self, request: Request) -> Response:
        ready, report = health.readiness()
        if ready:
            return Response({"status": "ready", "checks": report})
        failing = sorted(
            name for name, check in report.items() if check["status"] != "ok" and check["critical"]
        )
        body = error_body(
            "dependency_unavailable",
            f"Not ready: {', '.join(failing)} unavailable.",
            {"checks": report, "failing": failing},
        )
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)


class LoginSerializer(TokenObtainPairSerializer):
    """Username/password in, an access/refresh pair out, with its type and lifetime."""

    token_class = RefreshToken

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # JSON strings only: {"username": 123} is a 400, not a failed (and counted) login.
        self.fields[self.username_field] = StrictCharField(write_only=True)
        self.fields["password"] = StrictCharField(write_only=True, style={"input_type": "password"})

    def validate(self, attrs):
        request = self.context["request"]
        try:
            data = super().validate(attrs)
        except AuthenticationFailed:
            throttled = locked_out(request)  # axes refused it: 429, like the rate throttle
            if throttled is not None:
                raise throttled from None
            raise
        # Like a session login: updates last_login, resets django-axes' failure count.
        user_logged_in.send(sender=self.user.__class__, request=request, user=self.user)
        data["token_type"] = "Bearer"
        data["expires_in"] = int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())
        return data


TokenPairResponse = inline_serializer(
    "TokenPair",
    {
        "access": serializers.CharField(),
        "refresh": serializers.CharField(),
        "token_type": serializers.CharField(),
        "expires_in": serializers.IntegerField(),
    },
)


class LoginView(TokenObtainPairView):
    name = "Log in (JWT)"
    browsable_example = {"POST": {"username": "admin", "password": "your password"}}

    serializer_class = LoginSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_login"

    @extend_schema(responses={200: TokenPairResponse}, tags=["auth"])
    def post(self, request: Request, *args, **kwargs) -> Response:
        return super().post(request, *args, **kwargs)


class RefreshView(TokenRefreshView):
    name = "Refresh token"
    browsable_example = {"POST": {"refresh": "<the refresh token from /auth/login>"}}

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(tags=["auth"])
    def post(self, request: Request, *args, **kwargs) -> Response:
        return super().post(request, *args, **kwargs)


class LogoutView(TokenBlacklistView):
    name = "Log out (JWT)"
    browsable_example = {"POST": {"refresh": "<the refresh token from /auth/login>"}}

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(responses={204: None}, tags=["auth"])
    def post(self, request: Request, *args, **kwargs) -> Response:
        super().post(request, *args, **kwargs)  # blacklists the refresh token (or raises 401)
        # The access token this logout was sent with stops working too, not in 15 minutes.
        try:
            authenticated = JWTAuthentication().authenticate(request)
        except (InvalidToken, AuthenticationFailed):
            authenticated = None
        if authenticated is not None:
            revoke_access_token(authenticated[1])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField(help_text="May be empty.")
    is_staff = serializers.BooleanField()
    is_superuser = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)


class MeView(APIView):
    """The authenticated user."""

    name = "Current user"

    @extend_schema(responses=MeSerializer, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class UnknownRouteView(APIView):
    """Any path no route matches: a 404 in the API's error format, whatever the method."""

    name = "Not found"

    permission_classes = [AllowAny]
    authentication_classes: list = []
    schema = None

    def initial(self, request: Request, *args, **kwargs) -> None:
        raise NotFound(f"No route matches {request.path}.")

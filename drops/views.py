"""Drop-party endpoints (wire-compatible with the old PartyTime server, plus detail and history).

Public by default (game clients have no login); `DROPS_REQUIRE_AUTH=true` requires a JWT. Every
endpoint is throttled per client IP by `DropsRateThrottle`.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from drops import selectors, services
from drops.models import MAX_WORLD
from drops.report import DROP_REPORT_THROTTLE_SCOPE, drop_report_submit
from drops.serializers import (
    ActivePartiesSerializer,
    ActivePartySerializer,
    CleanupSerializer,
    DropReportResponseSerializer,
    DropReportSerializer,
    DropSerializer,
    EndedPartySerializer,
    PartySerializer,
)
from drops.throttling import DropsRateThrottle
from osrs_diff.datetimes import BoundedIsoDateTimeFilter
from osrs_diff.pagination import PageNumberPagination
from osrs_diff.permissions import public_read_allowed


class DropsPermission(BasePermission):
    """Anyone, unless DROPS_REQUIRE_AUTH is on (then an authenticated user; PUBLIC_READ still
    lets anonymous users read parties)."""

    def has_permission(self, request: Request, view) -> bool:
        if settings.DROPS_REQUIRE_AUTH and not public_read_allowed(request):
            return bool(request.user and request.user.is_authenticated)
        return True


class DropsAPIView(APIView):
    permission_classes = [DropsPermission]
    throttle_classes = [DropsRateThrottle]
    throttle_scope = "parties"


class DropReportView(DropsAPIView):
    """A game client reports one item drop it saw."""

    name = "Drop report"
    throttle_scope = DROP_REPORT_THROTTLE_SCOPE
    # The hot path: answer JSON without negotiating the browsable renderer.
    renderer_classes = [JSONRenderer]

    @extend_schema(
        request=DropReportSerializer,
        responses={
            201: OpenApiResponse(DropReportResponseSerializer, "party_created or drop_added"),
            200: OpenApiResponse(DropReportResponseSerializer, "ignored duplicate"),
        },
        operation_id="drops_report",
        tags=["drops"],
    )
    def post(self, request: Request) -> Response:
        serializer = DropReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        status_code, body = drop_report_submit(**serializer.validated_data)
        return Response(body, status=status_code)


class ActivePartyListView(DropsAPIView):
    """Parties with a drop within the idle timeout, newest activity first."""

    name = "Active parties"

    @extend_schema(
        responses=ActivePartiesSerializer, operation_id="parties_active_list", tags=["drops"]
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        parties = selectors.party_list_active(now=now)
        data = ActivePartySerializer(parties, many=True, context={"now": now}).data
        return Response({"active_parties": data})


class PartyCleanupView(DropsAPIView):
    """End every party idle past the timeout now (the sweeper does this every minute too)."""

    name = "Party cleanup"

    @extend_schema(
        request=None, responses=CleanupSerializer, operation_id="parties_cleanup", tags=["drops"]
    )
    def post(self, request: Request) -> Response:
        ended = services.party_end_idle()
        details = EndedPartySerializer(ended, many=True).data
        return Response(
            {"status": "cleanup_complete", "parties_ended": len(ended), "details": details}
        )


class PartyDetailView(DropsAPIView):
    """One party with its totals and its drops (paginated, arrival order)."""

    name = "Party"

    @extend_schema(responses=PartySerializer, operation_id="parties_retrieve", tags=["drops"])
    def get(self, request: Request, party_id: int) -> Response:
        party = selectors.party_get(party_id=int(party_id))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            selectors.party_drops(party_id=party.pk), request, view=self
        )
        data = PartySerializer(party, context={"now": timezone.now()}).data
        data["drops"] = paginator.get_paginated_response(DropSerializer(page, many=True).data).data
        return Response(data)


class PartyHistoryFilter(filters.FilterSet):
    world = filters.NumberFilter(field_name="world", min_value=1, max_value=MAX_WORLD)
    # effective_ended_at comes from the selector: ended_at, or when an unswept party went idle.
    since = BoundedIsoDateTimeFilter(
        field_name="effective_ended_at",
        lookup_expr="gte",
        help_text="Only parties still going at or after this moment (ISO-8601).",
    )


class PartyHistoryView(ListAPIView):
    """Ended parties with their totals, most recently ended first."""

    name = "Party history"

    permission_classes = [DropsPermission]
    throttle_classes = [DropsRateThrottle]
    throttle_scope = "parties"
    serializer_class = PartySerializer
    filterset_class = PartyHistoryFilter

    def get_queryset(self):
        # The schema generator calls this without a request.
        return selectors.party_list_history(now=getattr(self, "now", None))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self.now}

    def initial(self, request: Request, *args, **kwargs) -> None:
        self.now = timezone.now()
        super().initial(request, *args, **kwargs)

    @extend_schema(operation_id="parties_history_list", tags=["drops"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

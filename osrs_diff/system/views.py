"""Staff-only operations endpoints: system tasks (list, run now), system stats, webhooks."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from osrs_diff.api_tasks import TaskStartedSerializer
from osrs_diff.exceptions import NotFound
from osrs_diff.system import selectors, services
from osrs_diff.system.models import Webhook
from osrs_diff.system.serializers import (
    SystemStatsSerializer,
    SystemTaskSerializer,
    WebhookSerializer,
)
from osrs_diff.system.webhooks import services as webhook_services

TAGS = ["system"]


class SystemTaskListView(APIView):
    """Every scheduled system job with its schedule, next run and last result (staff only)."""

    name = "System tasks"

    permission_classes = [IsAdminUser]

    @extend_schema(responses=SystemTaskSerializer(many=True), tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(SystemTaskSerializer(selectors.system_task_list(), many=True).data)


class SystemTaskRunView(APIView):
    """Run a system task now, as beat would (staff only); follow it at GET /tasks/{task_id}."""

    name = "Run system task"

    permission_classes = [IsAdminUser]

    @extend_schema(
        request=None,
        responses={
            202: TaskStartedSerializer,
            404: OpenApiResponse(description="Unknown name; details.valid_names lists them."),
            503: OpenApiResponse(description="broker_unavailable: nothing was sent."),
        },
        tags=TAGS,
    )
    def post(self, request: Request, name: str) -> Response:
        task_id = services.system_task_run(name=name, user=request.user)
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)


class SystemStatsView(APIView):
    """Players, snapshots, fetch outcomes, hiscores limits, queues and parties (staff only)."""

    name = "System stats"

    permission_classes = [IsAdminUser]

    @extend_schema(responses=SystemStatsSerializer, tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(SystemStatsSerializer(selectors.system_stats()).data)


def _webhook(webhook_id: int) -> Webhook:
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None:
        raise NotFound(f"Webhook {webhook_id} does not exist.")
    return webhook


class WebhookListView(APIView):
    """Webhooks (staff only): list them, or add one (docs/webhooks.md)."""

    name = "Webhooks"

    permission_classes = [IsAdminUser]

    @extend_schema(responses=WebhookSerializer(many=True), tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(WebhookSerializer(Webhook.objects.order_by("id"), many=True).data)

    @extend_schema(request=WebhookSerializer, responses={201: WebhookSerializer}, tags=TAGS)
    def post(self, request: Request) -> Response:
        data = WebhookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        webhook = webhook_services.webhook_create(**data.validated_data)
        return Response(WebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    """One webhook (staff only): read, change (enabling clears its failures), delete."""

    name = "Webhook"

    permission_classes = [IsAdminUser]

    @extend_schema(responses=WebhookSerializer, tags=TAGS)
    def get(self, request: Request, webhook_id: int) -> Response:
        return Response(WebhookSerializer(_webhook(webhook_id)).data)

    @extend_schema(request=WebhookSerializer, responses=WebhookSerializer, tags=TAGS)
    def patch(self, request: Request, webhook_id: int) -> Response:
        webhook = _webhook(webhook_id)
        data = WebhookSerializer(webhook, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        webhook = webhook_services.webhook_update(webhook=webhook, **data.validated_data)
        return Response(WebhookSerializer(webhook).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request: Request, webhook_id: int) -> Response:
        webhook_services.webhook_delete(webhook=_webhook(webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

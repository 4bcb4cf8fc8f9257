"""Staff-only operations endpoints: system tasks (list, run now) and system stats."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from osrs_diff.api_tasks import TaskStartedSerializer
from osrs_diff.system import selectors, services
from osrs_diff.system.serializers import SystemStatsSerializer, SystemTaskSerializer

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

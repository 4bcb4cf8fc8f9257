"""Admin for groups: members inline (players picked by autocomplete), member counts in the
list, and an action that fetches every member now (the same service as POST /groups/{id}/fetch).

It lives beside the players admin because the fetch action queues the hiscores fetch task.
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from hiscores import groups
from osrs_diff.admin_changelists import BoundedChangeListMixin
from osrs_diff.exceptions import ServiceError
from players.groups import services
from players.models import Group, GroupMembership


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "description"]

    def clean_name(self) -> str:
        # The service's rules, as a form error rather than a 500 at save: "Iron  Clan" or
        # "Ｉron Clan" is "Iron Clan" (taken), "Irоn" with a Cyrillic "о" is refused.
        name = self.cleaned_data["name"]
        if self.instance.pk and " ".join(name.split()) == self.instance.name:
            return self.instance.name  # unchanged (a name stored before today's rules is kept)
        try:
            return services.group_name_check(name=name, exclude=self.instance.pk)
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from exc


class GroupMembershipInline(admin.TabularInline):
    model = GroupMembership
    fields = ["player", "role", "joined"]
    readonly_fields = ["joined"]
    autocomplete_fields = ["player"]
    extra = 1
    ordering = ["player__username_key"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[GroupMembership]:
        # Each row's label is "<username> in <group name>": both rows joined, not a query each.
        return super().get_queryset(request).select_related("player", "group")

    @admin.display(description="Joined at")
    def joined(self, obj: GroupMembership) -> datetime | None:
        # The empty extra row has no join time (its default would show the page's load time).
        return obj.joined_at if obj.pk else None


class GroupMembershipAddInline(GroupMembershipInline):
    """Only new rows: a big group's members are listed read-only instead (see GroupAdmin)."""

    verbose_name_plural = "add members"

    def get_queryset(self, request: HttpRequest) -> QuerySet[GroupMembership]:
        return super().get_queryset(request).none()


# Above this many members the change page lists them read-only and offers only new rows: every
# inline row posts 4-5 fields, and Django refuses a form of more than
# DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) fields. Remove members of a big group through the API.
INLINE_MAX_MEMBERS = 150


@admin.register(Group)
class GroupAdmin(BoundedChangeListMixin, admin.ModelAdmin):
    form = GroupForm
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name"]
    ordering = ["name"]
    fields = ["name", "description", "created_at"]
    readonly_fields = ["created_at"]
    inlines = [GroupMembershipInline]
    actions = ["fetch_members_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    def _big(self, obj: Group | None) -> bool:
        return obj is not None and getattr(obj, "member_count", 0) > INLINE_MAX_MEMBERS

    def get_inlines(self, request: HttpRequest, obj: Group | None = None) -> list:
        return [GroupMembershipAddInline] if self._big(obj) else [GroupMembershipInline]

    def get_fields(self, request: HttpRequest, obj: Group | None = None) -> list[str]:
        return [*self.fields, "member_list"] if self._big(obj) else list(self.fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None) -> list[str]:
        return [*self.readonly_fields, "member_list"]

    @admin.display(description="Members")
    def member_list(self, obj: Group) -> str:
        rows = (
            GroupMembership.objects.filter(group=obj)
            .select_related("player")
            .order_by("player__username_key")
        )
        return format_html(
            "<table><thead><tr><th>Player</th><th>Role</th><th>Joined (UTC)</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            format_html_join(
                "",
                '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td></tr>',
                (
                    (
                        reverse("admin:players_player_change", args=[m.player_id]),
                        m.player.username,
                        m.role or "-",
                        f"{m.joined_at:%Y-%m-%d %H:%M}",
                    )
                    for m in rows
                ),
            ),
        )

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj: Group) -> int:
        return obj.member_count

    def save_model(self, request: HttpRequest, obj: Group, form, change: bool) -> None:
        # The form checked the name by the service's rules already (GroupForm.clean_name).
        if change:
            # The name only when edited: a name stored before today's rules is kept as it is.
            name = obj.name if "name" in form.changed_data else None
            services.group_update(group=obj, name=name, description=obj.description)
            return
        created = services.group_create(name=obj.name, description=obj.description)
        obj.pk, obj.name, obj.created_at = created.pk, created.name, created.created_at
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        services.group_delete(group=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        for group in queryset:
            services.group_delete(group=group)

    @admin.action(description="Fetch every member now", permissions=["fetch"])
    def fetch_members_now(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        for group in queryset:
            try:
                fetch = groups.group_fetch(group=group, user=request.user)
            except ServiceError as exc:
                self.message_user(request, f"{group}: {exc.message}", messages.ERROR)
                continue
            skipped = ", ".join(
                f"{count} {reason}" for reason, count in fetch.skipped_by_reason.items() if count
            )
            self.message_user(
                request,
                f"{group}: queued {len(fetch.queued)} fetch(es), done in about "
                f"{fetch.estimated_completion_seconds:.0f} s"
                + (f"; skipped {skipped}." if skipped else "."),
                messages.SUCCESS,
            )

    def has_fetch_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("players.change_player")

"""URL routes of the hiscores app."""

urlpatterns: list = []

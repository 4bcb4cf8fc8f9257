"""URL routes of the history app."""

urlpatterns: list = []

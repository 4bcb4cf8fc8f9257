"""URL routes of the players app."""

urlpatterns: list = []

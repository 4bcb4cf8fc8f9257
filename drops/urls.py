"""URL routes of the drops app."""

urlpatterns: list = []

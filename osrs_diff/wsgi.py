"""WSGI entry point (gunicorn osrs_diff.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osrs_diff.settings")
application = get_wsgi_application()

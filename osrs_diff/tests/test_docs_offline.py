"""/docs (Swagger UI) and /redoc load nothing from another host: pages and the assets they use."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

FOREIGN_ASSET_HOSTS = (
    "fonts.googleapis.com",
    "fonts.gstatic.com",
    "cdn.jsdelivr.net",
    "unpkg.com",
    "cdnjs.cloudflare.com",
)


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.csp = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name):
                self.refs.append(attrs[name])
        if (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = attrs.get("content") or ""


def _page(client, path: str) -> tuple[str, _Refs]:
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    refs = _Refs()
    refs.feed(html)
    return html, refs


def _static_file(url: str) -> Path:
    static_path = urlsplit(url).path.removeprefix("/" + settings.STATIC_URL.strip("/") + "/")
    found = finders.find(static_path)
    assert found, f"{url} is not one of our static files"
    return Path(found)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_page_and_its_assets_reference_no_other_host(client, path):
    html, refs = _page(client, path)

    assert refs.refs, "the page loads its scripts from this server"
    for ref in refs.refs:
        parts = urlsplit(ref)
        assert not parts.netloc or parts.netloc == "testserver", ref
    # Inline scripts and styles too: no absolute URL at all.
    assert not re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), html
    for ref in refs.refs:
        if ref.startswith("/static/"):
            text = _static_file(ref).read_text(errors="replace")
            for host in FOREIGN_ASSET_HOSTS:
                assert host not in text, f"{ref} mentions {host}"


def test_redoc_page_forbids_requests_to_other_hosts(client):
    # The ReDoc bundle draws its "API docs by Redocly" logo from cdn.redoc.ly; the page's
    # Content-Security-Policy keeps the browser from asking for it (or anything off this server).
    _, refs = _page(client, "/redoc")

    directives = dict(
        (part.split()[0], part.split()[1:]) for part in refs.csp.split(";") if part.strip()
    )
    assert directives["default-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["font-src"] == ["'self'", "data:"]
    for sources in directives.values():
        assert not [s for s in sources if "." in s or s.startswith("http")], sources


def test_redoc_uses_system_fonts_instead_of_google_fonts(client):
    html, _ = _page(client, "/redoc")

    assert "fonts.googleapis" not in html
    assert (
        "system-ui"
        in settings.SPECTACULAR_SETTINGS["REDOC_UI_SETTINGS"]["theme"]["typography"]["fontFamily"]
    )


# Absolute URLs in the bundle that are never requested: XML namespaces, JSON Schema identifiers
# and links in error messages or in the footer (navigation, not resources).
_NOT_RESOURCES = re.compile(
    r"https?://(www\.w3\.org/|json-schema\.org/|example\.com|raw\.githubusercontent\.com/ajv"
    r"|github\.com/|git\.io/|reactjs\.org/docs/|fb\.me/|stackoverflow\.com/|marked\.js\.org/"
    r"|redocly\.com/|api\.)"
)
_RESOURCE = re.compile(r"\.(svg|png|jpe?g|gif|webp|ico|woff2?|ttf|otf|css|js|mjs)(?:[?#]|$)")


def _redoc_script(client) -> str:
    _, refs = _page(client, "/redoc")
    (src,) = [ref for ref in refs.refs if "redoc" in ref and ref.endswith(".js")]
    response = client.get(src)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    return b"".join(
        response.streaming_content if response.streaming else [response.content]
    ).decode()


def test_the_redoc_bundle_is_served_without_the_redocly_logo_from_a_cdn(client):
    script = _redoc_script(client)

    assert "Redoc.init" in script or "Redoc" in script
    assert "cdn.redoc.ly" not in script
    assert 'src:"data:image/' in script  # the footer logo, inline
    for url in re.findall(r"https?://[^\s\"'`)<>]*", script):
        assert not _RESOURCE.search(url), url  # nothing that would be fetched as an asset
        assert _NOT_RESOURCES.match(url) or url in ("http://", "https://"), url


def test_the_redoc_bundle_is_cached(client):
    first = client.get("/redoc/redoc.standalone.js")
    again = client.get("/redoc/redoc.standalone.js", HTTP_IF_NONE_MATCH=first["ETag"])

    assert "max-age" in first["Cache-Control"]
    assert again.status_code == 304
    assert client.post("/redoc/redoc.standalone.js").status_code == 405

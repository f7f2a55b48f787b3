"""Serve the dashboard's static files at /dashboard/ (no auth: the page asks for an API key and sends it to the
REST API itself). Every response carries a self-only Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response

from libs.errors import NotFound

STATIC_DIR = Path(__file__).parent / "static"
# The files the dashboard consists of; nothing else in the directory is served.
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# Scripts, styles and fetches from this origin only; no inline script or style, no framing, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def asset_response(name: str) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"dashboard file {name!r} not found", field="path")
    return Response((STATIC_DIR / name).read_bytes(), media_type=media_type, headers=SECURITY_HEADERS)


def install_dashboard(app: FastAPI) -> None:
    """Add GET /dashboard/ and its assets (the REST app's path normaliser adds the trailing slash, so
    `/dashboard/app.js` arrives as `/dashboard/app.js/`)."""

    @app.get("/dashboard/", include_in_schema=False)
    async def dashboard_index() -> Response:
        return asset_response("index.html")

    @app.get("/dashboard/{name}/", include_in_schema=False)
    async def dashboard_asset(name: str) -> Response:
        return asset_response(name)

"""``/docs``: Swagger UI served from this site (``static/swagger-ui/``, swagger-ui-dist
5.35.0 from npm, Apache-2.0), under a Content-Security-Policy that allows scripts from this
origin only: no CDN script runs on the origin of the session cookie."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

SWAGGER_UI_VERSION = "5.35.0"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)
"""Swagger UI sets element styles from script, hence ``style-src 'unsafe-inline'`` (styles
only; no script or URL can come in through them here)."""

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>refundkit API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css?v={SWAGGER_UI_VERSION}">
<script src="/static/swagger-ui/swagger-ui-bundle.js?v={SWAGGER_UI_VERSION}" defer></script>
<script src="/static/docs.js" defer></script>
</head>
<body>
<div id="swagger-ui"></div>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(PAGE, headers={
            "Content-Security-Policy": DOCS_CSP, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin", "Cache-Control": "no-store"})  # fmt: skip

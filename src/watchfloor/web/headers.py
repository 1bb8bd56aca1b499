"""The security headers of every answer and the Secure flag of every cookie."""

from __future__ import annotations

from fastapi import Request, Response

from watchfloor.settings import get_settings


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure when the request came over HTTPS (uvicorn reads X-Forwarded-Proto
    from a trusted proxy) or the instance says so (``cookie_secure``)."""
    return request.url.scheme == "https" or get_settings().cookie_secure


# An API answer is data, never a page: nothing may run or be framed in it.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

# A page runs scripts from this server only (static/watchfloor.js and Plotly's bundle), never
# inline ones, so markup a user managed to inject cannot run. Styles may be inline: plotly.js
# writes its own <style> and style attributes as it draws.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

# FastAPI's /docs and /redoc pages start Swagger UI and ReDoc with an inline script and load
# them from jsDelivr. They carry no data (the OpenAPI document only, itself an API answer).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; worker-src blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PAGES = ("/docs", "/docs/oauth2-redirect", "/redoc")


def security_headers(request: Request, response: Response) -> None:
    """The headers of every answer: no sniffing, framing or referrer beyond the site, and
    nothing that carries data kept in a browser's or a proxy's cache (static files only)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.url.path.startswith(("/static/", "/assets/")):
        headers["Cache-Control"] = "no-store"
    path = request.url.path
    if path.startswith("/api/"):
        headers.setdefault("Content-Security-Policy", API_CSP)
    elif path in DOCS_PAGES:
        headers.setdefault("Content-Security-Policy", DOCS_CSP)
    else:
        headers.setdefault("Content-Security-Policy", PAGE_CSP)
    if request.url.scheme == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")

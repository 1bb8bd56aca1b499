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


def security_headers(request: Request, response: Response) -> None:
    """The headers of every answer: no sniffing, framing or referrer beyond the site, and
    nothing that carries data kept in a browser's or a proxy's cache (static files only)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.url.path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"
    if request.url.path.startswith("/api/"):
        headers.setdefault("Content-Security-Policy", API_CSP)
    if request.url.scheme == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")

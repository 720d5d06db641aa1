"""Who may use the API: the API key when one is set, and, since the server usually runs without one
on the person's own machine, defences against web pages in the person's own browser. A page may
post a form to 127.0.0.1 without asking (no CORS preflight for form and plain-text bodies), and
with DNS rebinding may even read the answer under its own host name; refusing those bodies, and on
a loopback server any Host that is not loopback, keeps a page from using the model (the same rule
Ollama adopted after CVE-2024-28224)."""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.openai_api.errors import ApiError, MissingApiKey
from engine.openai_api.server import is_loopback

# What a browser sends cross-site without a preflight; API clients send application/json.
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


class ApiKeyCheck:
    """Refuses (401) any request without `Authorization: Bearer KEY`. The key is compared in
    constant time and never logged or echoed."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.accepts(Headers(scope=scope).get("authorization", "")):
            await error_response(MissingApiKey(), {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def accepts(self, header: str) -> bool:
        scheme, _, given = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.key)


class BrowserGuard:
    """Refuses form and plain-text bodies (415) and, when `loopback_only`, requests addressed to a
    host name that is not loopback (403)."""

    def __init__(self, app: ASGIApp, loopback_only: bool) -> None:
        self.app = app
        self.loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.refusal(Headers(scope=scope))
            if refusal is not None:
                await error_response(refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, headers: Headers) -> ApiError | None:
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type in FORM_TYPES:
            return ApiError(415, f"Send the body as JSON, with 'Content-Type: application/json' (not "
                                 f"{media_type}).", "unsupported_media_type")
        host = headers.get("host")
        if self.loopback_only and host is not None and not is_loopback(host_name(host)):
            return ApiError(403, "This server listens on loopback and answers only requests addressed "
                                 "to localhost, 127.0.0.1 or [::1].", "host_not_allowed")
        return None


def host_name(host: str) -> str:
    """The name in a Host header, without its port ("[::1]:8080" → "::1")."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host

"""What keeps the local workbench local: loopback Host/Origin checks, security headers, body cap.

The server binds to 127.0.0.1 only, but a browser can still be talked into sending requests to
it: a page on another site (CSRF) or a hostile domain re-pointed at 127.0.0.1 (DNS rebinding).
Both are refused here, before any route runs:

- a request whose Host is not the loopback address and port we serve gets 421;
- a request carrying an Origin (or a cross-site Sec-Fetch-Site) that is not ours gets 403;
- a request body larger than the upload cap gets 413, counted as it streams in, so a lying or
  missing Content-Length does not help.

Every response carries a Content-Security-Policy that forbids inline script and any remote
resource, plus nosniff, no-referrer and no framing.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable

LOOPBACK = "127.0.0.1"
LOCAL_NAMES = (LOOPBACK, "localhost")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))
# Downloaded reports and evidence excerpts are never rendered as part of our pages.
SANDBOX_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"

SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def check_bind_host(host: str) -> None:
    """Refuse to serve on anything but the IPv4 loopback address."""
    if host != LOOPBACK:
        raise ValueError(f"refusing to listen on {host!r}: the workbench serves "
                         f"{LOOPBACK} only (evidence never leaves this machine)")


def allowed_authorities(port: int) -> frozenset[str]:
    """The Host values (and Origin authorities) a browser uses for this server."""
    return frozenset(f"{name}:{port}" for name in LOCAL_NAMES)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def refusal(scope: Scope, authorities: Iterable[str]) -> tuple[int, str] | None:
    """(status, reason) when the request must be refused, else None."""
    allowed = set(authorities)
    host = _header(scope, b"host")
    if host is None or host.lower() not in allowed:
        return 421, "this server answers only to its loopback address (Host refused)"
    origin = _header(scope, b"origin")
    if origin is not None and origin.lower() not in {f"http://{a}" for a in allowed}:
        return 403, "cross-origin request refused"
    site = _header(scope, b"sec-fetch-site")
    if scope.get("method") in UNSAFE_METHODS and site not in (None, "same-origin", "none"):
        return 403, "cross-site request refused"
    return None


async def send_plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
        *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class LoopbackGuard:
    """ASGI middleware: Host/Origin checks, then security headers on every response."""

    def __init__(self, app: ASGIApp, authorities: Iterable[str]):
        self.app = app
        self.authorities = frozenset(a.lower() for a in authorities)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = refusal(scope, self.authorities)
        if refused:
            await send_plain(send, *refused)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", ())}
                extra = [h for h in SECURITY_HEADERS if h[0] not in names]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: refuse request bodies over `limit` bytes with 413."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.limit:
            await send_plain(send, 413, self._message())
            return
        received = 0
        started = False

        async def counted() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge()
            return message

        async def tracked(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await send_plain(send, 413, self._message())

    def _message(self) -> str:
        return f"upload refused: more than {self.limit} bytes (the upload cap; see --max-upload-mb)"

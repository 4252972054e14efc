"""Same-origin check for browser websockets: the full origin (scheme, host and port), as Django's
CSRF check compares it for forms — not just the host name, as channels' AllowedHostsOriginValidator
does, which lets a page on another port or over plain http of the same host open the socket."""

from __future__ import annotations

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host


def origin_allowed(scope: dict) -> bool:
    """The Origin header equals this server's own origin (the Host asked for, valid under
    ALLOWED_HOSTS, with the connection's scheme), or is one of CSRF_TRUSTED_ORIGINS."""
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    if not origin or origin == "null":
        return False
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    return origin == f"{'https' if _secure(scope, headers) else 'http'}://{host}"


def _secure(scope: dict, headers: dict) -> bool:
    """wss://, or https at a TLS proxy that says so in SECURE_PROXY_SSL_HEADER."""
    if scope.get("scheme") == "wss":
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name = proxy[0].removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        return headers.get(name, b"").decode("latin-1") == proxy[1]
    return False


class SameOriginValidator:
    """ASGI middleware: refuse (close) a websocket whose origin is not this server's own."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

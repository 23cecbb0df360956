"""Believe a reverse proxy's X-Forwarded-* headers only when the proxy is one the settings
name (``HUB_TRUSTED_PROXIES``): behind nginx the client's address and https come from the
proxy, while anyone else's forged headers are ignored."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from config.settings import Network


class TrustedProxies:
    """WSGI middleware: ProxyFix (one hop) for requests from a trusted proxy, else nothing."""

    def __init__(self, app: Any, networks: Iterable[Network]) -> None:
        self.direct = app
        self.behind_proxy = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1)
        self.networks = tuple(networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self._trusted(environ.get("REMOTE_ADDR", "")):
            return self.behind_proxy(environ, start_response)
        return self.direct(environ, start_response)

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

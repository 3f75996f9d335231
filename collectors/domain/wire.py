"""Small helpers the fetch modules share: the password scrubber and "host:port" text."""

from __future__ import annotations

import ipaddress


def host_port(host: str, port: int) -> str:
    """"dc1:389", or "[::1]:389" for an IPv6 address (as kinit's krb5.conf and messages want it)."""
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]:{port}"
    except ValueError:
        pass
    return f"{host}:{port}"


class Scrubber:
    """Replaces the password in a text kept from a server or library (defence in depth:
    none should echo it, but kept texts end up in results and reports)."""

    def __init__(self, secret: str):
        self.secret = secret

    def __call__(self, text: str) -> str:
        return text.replace(self.secret, "***") if self.secret else text

"""The system proxy on Linux: the http_proxy/https_proxy/no_proxy environment variables.

That is what curl, wget, Python and (without a desktop setting) browsers use. Upper- and
lower-case names are both read; lower case wins, as in curl.
"""

from __future__ import annotations

from collections.abc import Mapping

from collectors.web import ProxySettings


def read(environ: Mapping[str, str]) -> ProxySettings:
    def get(name: str) -> str | None:
        return (environ.get(name) or environ.get(name.upper()) or "").strip() or None

    no_proxy = tuple(p.strip() for p in (get("no_proxy") or "").split(",") if p.strip())
    return ProxySettings(http=get("http_proxy"), https=get("https_proxy") or None, bypass=no_proxy,
                         source="environment (http_proxy/https_proxy/no_proxy)")

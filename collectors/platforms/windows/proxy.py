"""The system proxy on Windows: WinINET's per-user settings, which Edge, Chrome and IE use.

Read from HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings. Output of SCRIPT::

    {"ProxyEnable":1,"ProxyServer":"http=proxy.corp.example:8080;https=proxy.corp.example:8080",
     "ProxyOverride":"<local>;*.corp.example;10.*","AutoConfigURL":null}

ProxyServer is either ``host:port`` for every protocol or ``proto=host:port`` pairs split
by ``;``. ProxyOverride lists hosts that go direct; ``<local>`` means names without a dot.
A PAC script (AutoConfigURL) is not evaluated: the check says so and goes direct.
Note: the agent running as a service (LocalSystem) reads its own HKCU, not the user's;
set ``proxy`` explicitly per URL in that case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.platforms.windows.powershell import decode_json, run_powershell
from collectors.web import ProxySettings

WHAT = "Internet Settings query"
SCRIPT = (
    "Get-ItemProperty -Path 'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings' "
    "-ErrorAction Stop | Select-Object ProxyEnable,ProxyServer,ProxyOverride,AutoConfigURL | "
    "ConvertTo-Json -Compress"
)


def fetch(io: CollectorIO, timeout: float) -> CommandOutput:
    return run_powershell(io, SCRIPT, timeout=timeout, what=WHAT)


def _servers(text: str) -> Mapping[str, str]:
    if "=" not in text:
        return {"http": text, "https": text}
    pairs: dict[str, str] = {}
    for part in text.split(";"):
        proto, sep, server = part.partition("=")
        if sep and server.strip():
            pairs[proto.strip().lower()] = server.strip()
    return pairs


def parse(output: CommandOutput) -> ProxySettings:
    data: Any = decode_json(output, WHAT)
    if not isinstance(data, dict):
        raise ParseError("Internet Settings query: expected one JSON object")
    source = "WinINET (HKCU Internet Settings)"
    pac = data.get("AutoConfigURL") or None
    if data.get("ProxyEnable") != 1 or not data.get("ProxyServer"):
        return ProxySettings(source=source, pac_url=pac)
    servers = _servers(str(data["ProxyServer"]))

    def url(server: str | None) -> str | None:
        return None if not server else server if "://" in server else f"http://{server}"

    bypass = tuple(p.strip() for p in str(data.get("ProxyOverride") or "").split(";") if p.strip())
    return ProxySettings(http=url(servers.get("http")), https=url(servers.get("https")), bypass=bypass,
                         source=source, pac_url=pac)

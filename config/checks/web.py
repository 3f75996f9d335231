"""Settings of the web family: Browser path: configured URLs fetched as a browser would (item 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from config.checks.base import CheckParams, Strict, WarnCrit


class WebUrl(Strict):
    """One page to load, as a user's browser on this computer would."""

    url: Annotated[str, Field(description="http:// or https:// URL")]
    name: Annotated[str | None, Field(description="the item name in results and reports; default: the URL")] = None
    expect_status: Annotated[tuple[int, ...], Field(
        description="HTTP statuses that count as success (after redirects); empty means 200-399")] = ()
    expect_text: Annotated[str | None, Field(description="text the page must contain (first max_body_bytes)")] = None
    follow_redirects: Annotated[int, Field(ge=0, le=10, description="redirects to follow, as a browser does")] = 5
    timeout_s: Annotated[float, Field(gt=0, description="the whole page load may take this long")] = 10
    proxy: Annotated[str, Field(
        description="'system' (environment on Linux, WinINET on Windows), 'none', or a proxy URL "
                    "such as http://proxy.corp.example:8080")] = "system"
    verify_tls: Annotated[bool, Field(description="reject certificates the system trust store does not accept")] = True
    ca_file: Annotated[Path | None, Field(description="PEM bundle to trust instead of the system store (internal CA)")] = None
    total_time_s: Annotated[WarnCrit, Field(description="page load time thresholds in seconds")] = WarnCrit(warn=3, crit=None)
    cert_days: Annotated[WarnCrit, Field(description="days until the certificate expires: WARN/CRIT at or below")] = WarnCrit(warn=21, crit=7)
    max_body_bytes: Annotated[int, Field(gt=0, description="read at most this much of the page")] = 262144

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if scheme.lower() not in ("http", "https") or not sep or not rest.split("/", 1)[0]:
            raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
        if "@" in rest.split("/", 1)[0]:
            raise ValueError("credentials in the URL are refused (they would appear in results)")
        return value

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: str) -> str:
        if value not in ("system", "none") and not value.startswith(("http://", "https://")):
            raise ValueError("proxy must be 'system', 'none' or an http:// proxy URL")
        return value

    @property
    def item(self) -> str:
        return self.name or self.url


class WebParams(CheckParams):
    """Settings under ``checks.web``."""

    urls: Annotated[tuple[WebUrl, ...], Field(
        description="pages to load; empty (the default) means the family does not run")] = ()
    user_agent: Annotated[str, Field(description="User-Agent header sent")] = "Mozilla/5.0 (compatible; Patrol inspection)"
    concurrency: Annotated[int, Field(ge=1, le=32, description="URLs loaded at the same time")] = 4

    @model_validator(mode="after")
    def _unique_items(self) -> "WebParams":
        items = [u.item for u in self.urls]
        duplicated = sorted({i for i in items if items.count(i) > 1})
        if duplicated:
            raise ValueError(f"two URLs have the same item {duplicated[0]!r}: give one a 'name'")
        # The runner stops the whole family at timeout_s; every URL must have time to finish
        # (or fail with its own message) before that, else all results become one UNKNOWN.
        if self.urls:
            waves = -(-len(self.urls) // self.concurrency)
            needed = waves * max(u.timeout_s for u in self.urls)
            if needed >= self.timeout_s:
                raise ValueError(f"{len(self.urls)} URLs at concurrency {self.concurrency} with timeouts up to "
                                 f"{max(u.timeout_s for u in self.urls):g} s may take {needed:g} s: raise timeout_s "
                                 f"above that (it is {self.timeout_s:g}) or raise concurrency")
        return self

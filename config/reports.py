"""Settings of inspection reports and fault analysis (see agent/reports and docs/reports.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from config.checks.base import Strict, time_zone_name
from config.secrets import Secret

Language = Literal["zh-CN", "en"]
Format = Literal["html", "pdf", "md", "json"]


def _cron(value: str) -> str:
    if len(value.split()) != 5:
        raise ValueError(f"cron needs 5 fields (minute hour day month weekday), got {value!r}")
    return value


class ReportMailSettings(Strict):
    """Mailing archived reports as attachments (SMTP). Off unless ``enabled`` and ``to`` are set."""

    enabled: Annotated[bool, Field(description="mail each scheduled report to the addresses in `to`")] = False
    host: Annotated[str, Field(description="SMTP server")] = "127.0.0.1"
    port: Annotated[int, Field(gt=0, lt=65536, description="SMTP port (587 submission, 465 implicit TLS)")] = 587
    security: Annotated[Literal["none", "starttls", "tls"], Field(
        description="none (plain, only for a local relay), starttls, or tls (implicit, port 465)")] = "starttls"
    username: Annotated[str | None, Field(description="SMTP login; none sends without authentication")] = None
    password: Annotated[Secret | None, Field(description="secret reference (env:NAME or file:/path), never the password")] = None
    sender: Annotated[str, Field(description="From: address")] = "patrol@localhost"
    to: Annotated[tuple[str, ...], Field(description="recipients of scheduled reports")] = ()
    timeout_s: Annotated[float, Field(gt=0, description="SMTP connection timeout")] = 30.0


class ReportScheduleSettings(Strict):
    """When `patrol run` writes reports by itself (cron expressions in the agent's local time)."""

    monthly: Annotated[bool, Field(description="an inspection report for the previous month")] = True
    monthly_cron: Annotated[str, Field(description="when the monthly report is written")] = "0 6 1 * *"
    quarterly: Annotated[bool, Field(description="a fault analysis for the previous quarter")] = True
    quarterly_cron: Annotated[str, Field(description="when the quarterly fault analysis is written")] = "0 7 1 1,4,7,10 *"
    before_contract_end_days: Annotated[tuple[int, ...], Field(
        description="full inspection reports this many days before inventory site.contract_end (standard: 30-45)")] = (45, 30)
    contract_check_cron: Annotated[str, Field(description="when the contract-end date is looked at each day")] = "0 8 * * *"

    @field_validator("monthly_cron", "quarterly_cron", "contract_check_cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        return _cron(value)


class ReportsSettings(Strict):
    """Settings under ``reports:``."""

    languages: Annotated[tuple[Language, ...], Field(min_length=1, description="languages of scheduled reports")] = ("zh-CN",)
    formats: Annotated[tuple[Format, ...], Field(min_length=1, description="files written for scheduled reports")] = ("html", "pdf")
    timezone: Annotated[str, Field(description="IANA zone for period boundaries and the dates shown (e.g. Asia/Shanghai)")] = "UTC"
    provider: Annotated[str | None, Field(description="the service company named on the report")] = None
    engineer: Annotated[str | None, Field(description="engineer named in the sign-off block")] = None
    recurring_after: Annotated[int, Field(ge=1, description="a problem seen more than this many times in a period is recurring")] = 3
    top_noisy: Annotated[int, Field(ge=1, le=100, description="how many noisy devices the fault analysis lists")] = 10
    device_detail: Annotated[Literal["auto", "all", "problems"], Field(
        description="per-device evidence in HTML/PDF/Markdown: all items of every device, only the items that are "
                    "not OK, or auto (all up to 50 devices); the overview matrix and JSON always have everything")] = "auto"
    cjk_font: Annotated[str, Field(description="font family for Chinese text (Debian fonts-noto-cjk); embedded in PDFs")] = "Noto Sans CJK SC"
    schedule: ReportScheduleSettings = ReportScheduleSettings()
    mail: ReportMailSettings = ReportMailSettings()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return time_zone_name(value)

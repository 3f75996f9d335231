"""Settings of the antivirus family: Antivirus installed, enabled and current; one product only (checklist items 3 and 10)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from config.checks.base import CheckParams, Strict, WarnCrit


class ClamavSettings(Strict):
    """ClamAV on Linux: daemons found in /proc, signature age from the database headers."""

    enabled: Annotated[bool, Field(description="look for ClamAV on Linux")] = True
    database_dir: Annotated[str, Field(description="folder of the .cvd/.cld signature databases (freshclam's DatabaseDirectory)")] = "/var/lib/clamav"
    daemon_processes: Annotated[tuple[str, ...], Field(description="process names of the scanning daemon (any one running counts)")] = ("clamd",)
    updater_processes: Annotated[tuple[str, ...], Field(description="process names of the signature updater")] = ("freshclam",)
    on_access_processes: Annotated[tuple[str, ...], Field(description="process names of on-access (real-time) scanning")] = ("clamonacc",)
    installed_paths: Annotated[tuple[str, ...], Field(
        description="any of these existing means ClamAV is installed")] = ("/usr/sbin/clamd", "/usr/bin/clamscan", "/usr/bin/freshclam")
    require_updater: Annotated[bool, Field(
        description="WARN when freshclam is not running (set false when signatures are updated by cron or a mirror push)")] = True
    require_on_access: Annotated[bool, Field(
        description="CRIT when clamonacc (real-time scanning) is not running; most Linux servers scan on demand only")] = False


class ThirdPartyProduct(Strict):
    """An antivirus product Security Center cannot report (Windows Server, Linux): found by its service and signature files."""

    name: Annotated[str, Field(min_length=1, description="display name in results, e.g. 'Trellix Endpoint Security'")]
    platform: Annotated[Literal["windows", "linux"], Field(description="the platform this product is installed on")]
    service: Annotated[str | None, Field(
        description="Windows service name (Get-Service -Name) or Linux process name (/proc/*/comm) that must run")] = None
    signature_path: Annotated[str | None, Field(
        description="glob of the signature/definition files; the newest file's modification time is the signature date")] = None
    realtime_service: Annotated[str | None, Field(
        description="optional separate real-time scanning service/process; absent means real-time is not checked")] = None


Severity = Literal["ok", "warn", "crit"]


class AvSeverities(Strict):
    """The state of each antivirus finding; defaults as engineers grade them."""

    not_protecting: Annotated[Severity, Field(
        description="the only product is off, snoozed, expired or not running")] = "crit"
    passive_without_primary: Annotated[Severity, Field(
        description="Defender is passive (another product was registered) but no other product was found: "
                    "usually a product this agent cannot see; name it under third_party")] = "warn"
    realtime_off: Annotated[Severity, Field(description="real-time protection off on the active product")] = "crit"
    signatures_missing: Annotated[Severity, Field(description="no signatures at all (never updated)")] = "crit"
    signatures_out_of_date: Annotated[Severity, Field(
        description="the product flags its signatures out of date (the age thresholds still decide CRIT)")] = "warn"
    too_many_products: Annotated[Severity, Field(
        description="more active products than max_active_products (both are named)")] = "warn"
    no_product: Annotated[Severity, Field(description="no antivirus product at all (with require_product)")] = "crit"


class AntivirusParams(CheckParams):
    """Settings under ``checks.antivirus``."""

    signature_age_days: Annotated[WarnCrit, Field(description="age of the newest signatures")] = WarnCrit(warn=3, crit=7)
    scan_age_days: Annotated[WarnCrit, Field(description="time since the last quick or full scan (Defender)")] = WarnCrit(warn=14, crit=None)
    max_active_products: Annotated[int, Field(ge=1, description="more active antivirus products than this is a policy finding (the standard allows one)")] = 1
    policy_state: Annotated[Literal["warn", "crit"] | None, Field(
        description="deprecated: use severities.too_many_products (when set, it wins)")] = None
    severities: AvSeverities = AvSeverities()
    detect_known_products: Annotated[bool, Field(
        description="Windows Server: find well-known products (Trend Micro, Sophos, Symantec, McAfee/Trellix, Kaspersky, "
                    "ESET, Bitdefender, 360, 火绒, 腾讯电脑管家, 瑞星, 金山毒霸) by their processes and services")] = True
    require_product: Annotated[bool, Field(description="no antivirus product at all is CRIT (false: not checked)")] = True
    windows_edition: Annotated[Literal["auto", "client", "server"], Field(
        description="auto reads Win32_OperatingSystem.ProductType; Server editions have no Security Center")] = "auto"
    powershell: Annotated[str, Field(description="PowerShell executable (Windows PowerShell 5.1 or pwsh)")] = "powershell.exe"
    command_timeout_s: Annotated[float, Field(gt=0, description="time limit of each PowerShell call")] = 20
    clamav: ClamavSettings = ClamavSettings()
    third_party: Annotated[tuple[ThirdPartyProduct, ...], Field(
        description="products found by service and signature file age (Windows Server, Linux)")] = ()

    @model_validator(mode="after")
    def _legacy_policy_state(self) -> "AntivirusParams":
        if self.policy_state is not None and self.policy_state != self.severities.too_many_products:
            object.__setattr__(self, "severities", self.severities.model_copy(update={"too_many_products": self.policy_state}))
        return self

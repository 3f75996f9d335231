"""The root of Patrol's settings. Every setting has a default: no config at all is valid.

This schema is the one declared source: `patrol config example` generates the example
YAML from it (config/example.yaml is checked in and a test fails if it drifts).
"""

from __future__ import annotations

import enum
import socket
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from config.checks.antivirus import AntivirusParams
from config.checks.assets import AssetsParams
from config.checks.base import Strict
from config.checks.domain import DomainParams
from config.checks.hardware import HardwareParams
from config.checks.mail import MailParams
from config.checks.netconfig import NetconfigParams
from config.checks.patches import PatchesParams
from config.checks.printer_snmp import PrinterSnmpParams
from config.checks.printers import PrintersParams
from config.checks.software import SoftwareParams
from config.checks.switch import SwitchParams
from config.checks.system import SystemParams
from config.checks.web import WebParams
from config.fleet import CollectorLink, ServeSettings
from config.notify import NotifySettings
from config.reports import ReportsSettings
from config.ticketing import TicketingSettings


class Role(str, enum.Enum):
    """What this agent checks: ``endpoint`` only its own computer; ``collector`` and
    ``standalone`` (the default) also the inventory's network devices, printers and hosts."""

    endpoint = "endpoint"
    collector = "collector"
    standalone = "standalone"


class AgentSettings(Strict):
    site: Annotated[str, Field(min_length=1, description="the client site this agent belongs to")] = "default"
    name: Annotated[str, Field(min_length=1, default_factory=socket.gethostname,
                               description="this machine's name in reports and labels (default: the host name)")]
    role: Annotated[Role, Field(description="endpoint: only this computer; collector/standalone: the whole inventory")] = Role.standalone
    machine_id: Annotated[str | None, Field(
        max_length=128, description="this computer's identity for `patrol enroll`, instead of the one read from it "
                                    "(MachineGuid/SMBIOS UUID, /etc/machine-id): for VMs cloned without sysprep "
                                    "that share one, and for containers")] = None


class PathSettings(Strict):
    state_dir: Annotated[Path, Field(description="store, outbox, config backups; relative paths are below the config file's folder")] = Path("var")
    reports_dir: Annotated[Path, Field(description="inspection reports and results.json")] = Path("reports")
    inventory: Annotated[Path | None, Field(description="inventory file (YAML or CSV); none means this computer only")] = None


class StoreSettings(Strict):
    url: Annotated[str | None, Field(
        description="SQLAlchemy URL; default sqlite:///<state_dir>/patrol.sqlite. "
                    "PostgreSQL: postgresql+psycopg://user@host/db (password via PGPASSFILE, never here)")] = None
    retention_days: Annotated[int, Field(ge=1, description="raw results older than this are deleted; latest states and audit stay")] = 90
    audit_retention_days: Annotated[int, Field(ge=1)] = 730

    @field_validator("url")
    @classmethod
    def _no_password_in_url(cls, value: str | None) -> str | None:
        if value and "@" in value and ":" in value.split("@", 1)[0].split("//", 1)[-1]:
            raise ValueError("the store URL contains a password; use PGPASSFILE or a .pgpass file instead")
        return value


class ExporterSettings(Strict):
    enabled: bool = True
    listen: Annotated[str, Field(description="host:port for /metrics; keep it on loopback or a management network")] = "127.0.0.1:9469"

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected host:port such as 127.0.0.1:9469, got {value!r}")
        return value


class LogFormat(str, enum.Enum):
    text = "text"
    json = "json"


class LogSettings(Strict):
    level: Annotated[str, Field(pattern="^(DEBUG|INFO|WARNING|ERROR)$")] = "INFO"
    format: LogFormat = LogFormat.text
    file: Annotated[Path | None, Field(description="rotating log file under `patrol run`; default <state_dir>/patrol.log")] = None
    max_bytes: Annotated[int, Field(gt=0)] = 10 * 1024 * 1024
    backups: Annotated[int, Field(ge=0)] = 5


class RunnerSettings(Strict):
    concurrency: Annotated[int, Field(ge=1, le=1024, description="checks that run at the same time")] = 8


class ChecksSettings(Strict):
    """One section per check family; docs/checks.md says what each one does."""

    system: SystemParams = SystemParams()
    antivirus: AntivirusParams = AntivirusParams()
    patches: PatchesParams = PatchesParams()
    printers: PrintersParams = PrintersParams()
    domain: DomainParams = DomainParams()
    web: WebParams = WebParams()
    mail: MailParams = MailParams()
    software: SoftwareParams = SoftwareParams()
    hardware: HardwareParams = HardwareParams()
    switch: SwitchParams = SwitchParams()
    printer_snmp: PrinterSnmpParams = PrinterSnmpParams()
    netconfig: NetconfigParams = NetconfigParams()
    assets: AssetsParams = AssetsParams()
    plugins: Annotated[dict[str, dict[str, Any]], Field(
        description="settings of third-party collectors, by entry-point name; validated by each plugin's own model")] = {}

    def for_family(self, name: str) -> Any:
        """The raw settings of family ``name`` (a model for built-ins, a dict for plugins)."""
        if name in type(self).model_fields and name != "plugins":
            return getattr(self, name)
        return self.plugins.get(name, {})


class Settings(Strict):
    agent: AgentSettings = AgentSettings()
    paths: PathSettings = PathSettings()
    store: StoreSettings = StoreSettings()
    exporter: ExporterSettings = ExporterSettings()
    log: LogSettings = LogSettings()
    runner: RunnerSettings = RunnerSettings()
    checks: ChecksSettings = ChecksSettings()
    ticketing: TicketingSettings = TicketingSettings()
    notify: NotifySettings = NotifySettings()
    reports: ReportsSettings = ReportsSettings()
    collector: CollectorLink = CollectorLink()
    serve: ServeSettings = ServeSettings()

    @model_validator(mode="after")
    def _central_checks_valid(self) -> "Settings":
        """The check settings the collector sends its agents are checked here, where they are
        written, not on every PC that receives them."""
        from config.fleet import merge_checks

        serve = self.serve
        for where, document in [("serve.agent_checks", serve.agent_checks),
                                *((f"serve.site_checks.{site}", merge_checks(serve.agent_checks, over))
                                  for site, over in serve.site_checks.items())]:
            try:
                ChecksSettings.model_validate(document)
            except ValidationError as exc:
                first = exc.errors()[0]
                path = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"{where}: {path}: {first['msg']}") from None
        return self

    # Where the file was read from: relative paths are resolved against its folder.
    _base_dir: Path = PrivateAttr(default=Path("."))

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    def with_base_dir(self, base_dir: Path) -> "Settings":
        self._base_dir = base_dir
        return self

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else (self._base_dir / path)

    @property
    def state_dir(self) -> Path:
        return self.resolve(self.paths.state_dir)

    @property
    def reports_dir(self) -> Path:
        return self.resolve(self.paths.reports_dir)

    @property
    def store_url(self) -> str:
        if self.store.url:
            return self.store.url
        from sqlalchemy.engine import URL  # late: loading settings needs no SQLAlchemy otherwise

        # URL.create, not an f-string: a state_dir such as /srv/patrol#2 would end the path at '#'.
        return URL.create("sqlite", database=str(self.state_dir / "patrol.sqlite")).render_as_string(hide_password=False)

"""Well-known antivirus products found by their processes and services (Windows Server,
which has no Security Center to list them).

The products are data (``KNOWN_PRODUCTS``), not code: one row per product with the process
names (``Get-Process -Name``, without ".exe") and service names (``Get-Service -Name``,
wildcards allowed) that only that product installs. A product is present when any of them
exists; it protects (ON) when any of its processes or services runs, and is OFF when only
stopped services are left. Signature age is not known from these sources: configure the
product under ``checks.antivirus.third_party`` with a ``signature_path`` for that.

Sample (Windows Server 2019, Windows PowerShell 5.1; Status 4 = Running, 1 = Stopped)::

    {"Services": [{"Name": "ntrtscan", "Status": 4, "StartType": 2}], "Processes": ["ntrtscan", "TmListen"]}

The process names are the ones published in many public process-to-product tables (for
example the Chinese AV lists in security tooling: 360tray/360sd/ZhuDongFangYu, HipsDaemon/
HipsTray/usysdiag for 火绒, QQPCRTP/QQPCTray for 腾讯电脑管家, kxetray/kxescore for 金山毒霸,
RavMonD/rsmain for 瑞星). 360, 火绒 and 腾讯电脑管家 are also checked on process lists people
published from their own machines (tests/antivirus/test_recorded_processes.py).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from collectors.antivirus import AvProduct, ProductState, product_key
from collectors.base import CollectorIO, CommandOutput, ParseError
from collectors.messages import Messages
from collectors.platforms.windows.av_third_party import SERVICE_STATUS
from collectors.platforms.windows.powershell import as_object, as_objects, decode_json, ps_quote, run_powershell

NAME = "windows_known_av"


@dataclass(frozen=True, slots=True)
class KnownProduct:
    name: str
    processes: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # Get-Service -Name patterns


KNOWN_PRODUCTS: tuple[KnownProduct, ...] = (
    KnownProduct("Trend Micro Apex One / OfficeScan", ("ntrtscan", "tmlisten", "pccntmon", "tmbmsrv"), ("ntrtscan", "tmlisten")),
    KnownProduct("Trend Micro Deep Security", ("ds_agent",), ("ds_agent",)),
    KnownProduct("Sophos Endpoint", ("savservice", "sophosfs", "sophosfilescanner"), ("SAVService", "Sophos Endpoint Defense Service")),
    KnownProduct("Symantec Endpoint Protection", ("ccsvchst", "smc"), ("SepMasterService",)),
    KnownProduct("McAfee / Trellix Endpoint Security", ("mcshield", "mfemms", "mfeesp", "mfetp"), ("mfemms", "McShield", "mfetp")),
    KnownProduct("Kaspersky", ("avp", "kavfs", "kavfswp"), ("AVP*", "kavfs")),
    KnownProduct("ESET", ("ekrn",), ("ekrn",)),
    KnownProduct("Bitdefender Endpoint Security", ("vsserv", "bdservicehost", "epsecurityservice"), ("EPSecurityService", "VSSERV")),
    KnownProduct("360 安全卫士 / 360 杀毒 (Qihoo 360)", ("360tray", "360sd", "360rp", "zhudongfangyu"), ("ZhuDongFangYu",)),
    KnownProduct("火绒安全 (Huorong)", ("hipsdaemon", "hipstray", "usysdiag", "wsctrlsvc"), ("HipsDaemon",)),
    KnownProduct("腾讯电脑管家 (Tencent PC Manager)", ("qqpcrtp", "qqpctray"), ("QQPCRTP",)),
    KnownProduct("瑞星杀毒 (Rising)", ("ravmond", "rsmain", "rstray")),
    KnownProduct("金山毒霸 (Kingsoft)", ("kxetray", "kxescore", "kscan"), ("kxescore",)),
)


def _list(names: list[str]) -> str:
    return ",".join(ps_quote(n) for n in names)


def script(products: tuple[KnownProduct, ...] = KNOWN_PRODUCTS) -> str:
    services = sorted({s for p in products for s in p.services})
    processes = sorted({s for p in products for s in p.processes})
    return (f"$s = @(Get-Service -Name {_list(services)} -ErrorAction SilentlyContinue | Select-Object Name, Status, StartType); "
            f"$p = @(Get-Process -Name {_list(processes)} -ErrorAction SilentlyContinue | "
            "Select-Object -ExpandProperty ProcessName -Unique); "
            "ConvertTo-Json -InputObject ([pscustomobject]@{ Services = $s; Processes = $p }) -Depth 3 -Compress")


@dataclass(frozen=True, slots=True)
class KnownSample:
    out: CommandOutput
    # services of the products configured under third_party: those products are reported
    # by that source (with their signature age); finding them again here would count twice.
    configured_services: tuple[str, ...] = ()


def fetch(params: Any, io: CollectorIO) -> KnownSample | None:
    if not params.detect_known_products:
        return None
    out = run_powershell(io, script(), timeout=params.command_timeout_s, what="known antivirus processes and services",
                         executable=params.powershell, setting="powershell")
    configured = tuple(s for p in params.third_party if p.platform == "windows"
                       for s in (p.service, p.realtime_service) if s)
    return KnownSample(out, configured)


def _configured(product: KnownProduct, configured: tuple[str, ...]) -> bool:
    names = [c.lower() for c in configured]
    return any(fnmatch.fnmatchcase(c, pattern.lower()) for c in names for pattern in product.services) or any(
        c.removesuffix(".exe") in product.processes for c in names)


def parse(sample: KnownSample | None, products: tuple[KnownProduct, ...] = KNOWN_PRODUCTS) -> tuple[AvProduct, ...]:
    if sample is None:
        return ()
    out = sample.out
    what = "known antivirus processes and services"
    obj = as_object(decode_json(out, what), what)
    services: dict[str, str] = {}
    for entry in as_objects(obj.get("Services"), what):
        name, status = entry.get("Name"), entry.get("Status")
        if not isinstance(name, str):
            raise ParseError(f"{what}: a service without a Name")
        services[name] = SERVICE_STATUS.get(status, str(status)) if isinstance(status, int) else str(status)
    raw_processes = obj.get("Processes") or []
    if isinstance(raw_processes, str):  # one process: ConvertTo-Json unwraps the array
        raw_processes = [raw_processes]
    if not isinstance(raw_processes, list) or not all(isinstance(p, str) for p in raw_processes):
        raise ParseError(f"{what}: Processes is not a list of names: {str(raw_processes)[:80]}")
    running_processes = {p.lower() for p in raw_processes}
    found = []
    for product in products:
        if _configured(product, sample.configured_services):
            continue
        procs = sorted(p for p in product.processes if p.lower() in running_processes)
        svcs = {n: s for n, s in services.items()
                if any(fnmatch.fnmatchcase(n.lower(), pattern.lower()) for pattern in product.services)}
        if not procs and not svcs:
            continue
        running_svcs = sorted(n for n, s in svcs.items() if s == "Running")
        evidence = "; ".join(filter(None, (
            f"processes running: {', '.join(procs)}" if procs else "",
            "services: " + ", ".join(f"{n} {s.lower()}" for n, s in sorted(svcs.items())) if svcs else "")))
        if procs or running_svcs:
            state, mode = ProductState.ON, MSG.say("antivirus.known.running", names=tuple(procs + running_svcs))
        else:
            state, mode = ProductState.OFF, MSG.say("antivirus.known.stopped", names=tuple(sorted(svcs)))
        found.append(AvProduct(name=product.name, source=NAME, state=state, key=product_key(product.name),
                               owner="third party", mode=mode, signatures_checked=False,
                               details=f"found by {evidence}; signature age not readable from these sources "
                                       "(configure it under checks.antivirus.third_party with a signature_path)"))
    return tuple(found)


MSG = Messages({
    "antivirus.known.running": "running ({names})",
    "antivirus.known.stopped": "installed but not running ({names} stopped)",
})

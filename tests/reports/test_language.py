"""A zh-CN report of real collectors' results has no English evidence and no raw check ids.

The store is filled by the real collectors: the switch and printer checks polling snmpsim
serving recordings of real devices (tests/snmp/data, tests/printer_snmp/data) and dead
addresses, the system check on this machine, and the Windows antivirus, update and print
spooler checks on their recorded PowerShell outputs (tests/*/fixtures, sources in SOURCE.md).

The rule, precisely:
1. every evidence, finding and recurring-problem sentence comes from a message id
   (``message_id`` set) and renders from the zh-CN catalogue (it differs from the English);
2. in the visible text of the zh-CN HTML report, once data is taken out, no word of three or
   more Latin letters remains except ALLOWED terms. Data is what devices and systems said or
   named: device names, addresses and items, and every text parameter of a stored message
   (a queue name, an OS error as printed). Fixed wording is never a text parameter: it is a
   nested message (collectors/messages.py), so it is translated or caught here.
The test proves it can fail: with one catalogue entry removed, or in English, the rule fires.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import shutil
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from agent.reports import i18n
from agent.reports.build import build_faults, build_inspection
from agent.reports.periods import parse_period
from agent.reports.render import render_html
from agent.runner import CheckJob, Runner
from agent.store import Store
from collectors.antivirus import AntivirusCollector
from collectors.base import CheckRun, CollectorIO, CommandOutput, MessageRef
from collectors import messages
from collectors.commands import run_command
from collectors.patches import PatchesCollector
from collectors.printer_snmp import PrinterSnmpCollector
from collectors.printers import PrintersCollector
from collectors.software import SoftwareCollector
from collectors.switch import SwitchCollector
from collectors.system import SystemCollector
from config.checks.printer_snmp import PrinterSnmpParams
from config.checks.software import SoftwareParams
from config.checks.switch import SwitchParams
from config.checks.system import SystemParams
from config.reports import ReportsSettings
from config.secrets import resolve_secret
from inventory.models import Host, Inventory, NetworkDevice, Printer, Site
from tests.antivirus.replay import Replay, load_expected
from tests.support.proc import ServerProcess, free_port, require_program, wait_until

TESTS = Path(__file__).parent.parent
SWITCHES = {"core-sw1": "cisco-c3560", "access-sw2": "huawei-s5720", "dist-sw3": "ruijie-s5750"}
PRINTERS = {"prn-2f": "toner-low", "prn-3f": "paper-jam-door", "prn-lobby": "healthy-laser"}
ZONE = "Asia/Shanghai"
OCTOBER = parse_period("2026-10", ZONE)
T0 = datetime(2026, 10, 12, 1, 0, tzinfo=timezone.utc)
# Product, standard and protocol names a Chinese report writes in Latin letters too.
ALLOWED = {"CPU", "SNMP", "SNMPv", "MIB", "sysUpTime", "ifOperStatus", "ifName", "ifDescr", "NTP", "GiB", "LLDP",
           "CDP", "UTC", "JSON", "Patrol", "Defender", "Kerberos", "LDAP", "SSSD", "Winbind", "Gbit", "Mbit",
           "kbit", "bit", "checks", "antivirus", "third_party", "Windows", "IPP",
           # Windows terms in the antivirus and update sentences: Defender's "EDR" and "SxS" modes,
           # DNS, WSUS, the update service's name and the offline scan file's, the SYSTEM account.
           "EDR", "SxS", "DNS", "WSUS", "wuauserv", "wsusscn", "cab", "SYSTEM",
           # Linux terms: ClamAV's database file types and Debian's archive Release file.
           "cvd", "cld", "Release"}


@pytest.fixture(scope="module")
def snmpsim(tmp_path_factory):
    program = require_program(str(Path(sys.executable).parent / "snmpsim-command-responder"), "pip: snmpsim")
    root = tmp_path_factory.mktemp("snmpsim-lang")
    data = root / "data"
    data.mkdir()
    for name in (*SWITCHES.values(), "dlink-des3028"):
        shutil.copy(TESTS / "snmp" / "data" / f"{name}.snmprec", data)
    for name in PRINTERS.values():
        shutil.copy(TESTS / "printer_snmp" / "data" / f"{name}.snmprec", data)
    port = free_port("udp")
    proc = ServerProcess([program, f"--data-dir={data}", f"--cache-dir={root / 'cache'}",
                          f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--logging-method=null"],
                         log_path=root / "snmpsim.log", env={"SNMPSIM_ALLOW_ROOT": "true"})
    try:
        from tests.snmp.conftest import snmp_answers

        wait_until(lambda: snmp_answers(port, "cisco-c3560"), 60, "snmpsim", proc)
        yield port
    finally:
        proc.stop()


def _snmp(port: int, community: str) -> dict:
    """Credentials whose community comes from an environment variable (never plain text in an inventory)."""
    var = "PATROL_TEST_LANG_" + "".join(c if c.isalnum() else "_" for c in community).upper()
    os.environ[var] = community
    return {"version": "2c", "community": f"env:{var}", "port": port, "timeout_s": 1.0, "retries": 0}


def _poll(collector, target, params, at: datetime, state_dir: Path) -> CheckRun:
    io = CollectorIO(run=run_command, state_dir=state_dir, clock=lambda: at, resolve_secret=resolve_secret)
    runner = Runner(io, concurrency=2)
    try:
        return asyncio.run(runner.run_job(CheckJob(collector, target, params)))
    finally:
        runner.close()


def _windows_runs(collector, folders: list[Path], at: datetime) -> list[CheckRun]:
    """A Windows check on recorded outputs: fetch (replayed), parse, evaluate, stamped at ``at``."""
    runs = []
    for folder in folders:
        expected = load_expected(folder)
        host = Host(name=f"pc-{folder.name[:20]}", local=True, os="windows")
        params = collector.params_model.model_validate(expected["params"])
        io = CollectorIO(run=Replay(folder), platform="windows", fs_root=folder / "fs-root")
        model = collector.parse(collector.fetch(host, params, io))
        results = tuple(replace(r, observed_at=at) for r in collector.evaluate(model, params, host, at))
        runs.append(CheckRun(collector.name, host.name, at, 0.1, results))
    return runs


# Software rules on the recorded Windows uninstall keys of an office PC (tests/software/fixtures/
# windows/SOURCE.md): each version reason (too old, too new, no version, not an allowed one) and a
# missing product.
SOFTWARE_RULES = [
    {"name": "Microsoft 365 Apps*", "label": "Office", "min_version": "16.0.17328"},
    {"name": "WPS Office", "label": "WPS", "max_version": "11.1.0.10000"},
    {"name": "Google Chrome", "label": "Chrome", "min_version": "120"},
    {"name": "Adobe Acrobat Reader*", "label": "Reader", "allowed_versions": ["19.*", "20.*"]},
    {"name": "Foxit*", "label": "Foxit"},
]


def _software_run(at: datetime) -> CheckRun:
    sample = (TESTS / "software" / "fixtures" / "windows" / "office_pc.json").read_bytes()
    io = CollectorIO(run=lambda argv, **kw: CommandOutput(tuple(argv), 0, sample, b""), platform="windows")
    host = Host(name="pc-office", local=True, os="windows")
    collector = SoftwareCollector()
    params = SoftwareParams(required=SOFTWARE_RULES)
    results = tuple(collector.evaluate(collector.parse(collector.fetch(host, params, io)), params, host, at))
    return CheckRun("software", host.name, at, 0.1, results)


# Two Linux hosts only: over 50 devices a report leaves the per-device sections out (render.py
# AUTO_DETAIL_LIMIT) and the rule on English words would no longer see most evidence. A host's
# later runs are stamped a minute apart: the store keeps every result, a report shows the last.
LINUX_HOSTS = ("srv-linux-1", "srv-linux-2")


def _linux_antivirus_runs(at: datetime, root: Path) -> list[CheckRun]:
    """ClamAV and a hand-configured product on two made-up Linux roots (/proc and files below
    ``root``): the daemon running without its updater and no database folder; nothing running,
    an empty database folder, a product whose service is down and signature files missing."""
    collector = AntivirusCollector()
    params = collector.params_model.model_validate({"third_party": [
        {"name": "Vendor EDR", "platform": "linux", "service": "edr-agent", "signature_path": "/opt/edr/defs/*.dat"}]})
    runs = []
    for name, running, db_dir in ((LINUX_HOSTS[0], "clamd", False), (LINUX_HOSTS[1], "", True)):
        fs = root / name
        (fs / "proc" / "101").mkdir(parents=True)
        (fs / "proc" / "101" / "comm").write_text(running or "bash")
        (fs / "usr" / "bin").mkdir(parents=True)
        (fs / "usr" / "bin" / "clamscan").write_bytes(b"")
        if db_dir:
            (fs / "var" / "lib" / "clamav").mkdir(parents=True)
        host = Host(name=name, local=True, os="linux")
        io = CollectorIO(run=run_command, platform="linux", fs_root=fs)
        results = tuple(collector.evaluate(collector.parse(collector.fetch(host, params, io)), params, host, at))
        runs.append(CheckRun(collector.name, host.name, at, 0.1, results))
    return runs


def _linux_patch_runs(at: datetime, root: Path) -> list[CheckRun]:
    """apt failing without a message and apt with no updates (lists never refreshed), then the
    recorded dnf cases (tests/patches/fixtures/dnf: a repository error, advisories)."""
    from collectors.platforms.linux import apt_updates
    from tests.patches.test_dnf_fixtures import DnfReplay

    collector = PatchesCollector()
    models = []
    for rc in (100, 0):
        last, what = apt_updates.newest_list_time(root / "no-apt-root")
        models.append(apt_updates.parse(apt_updates.AptSample(b"", "", rc, "-security$", True, None, "", last, what)))
    dnf = collector.params_model.model_validate({"linux_manager": "dnf"})
    for folder in sorted(p for p in (TESTS / "patches" / "fixtures" / "dnf").iterdir() if p.is_dir()):
        io = CollectorIO(run=DnfReplay(folder), platform="linux", fs_root=folder / "no-such-root")
        models.append(collector.parse(collector.fetch(Host(name="rhel", local=True, os="linux"), dnf, io)))
    runs = []
    for n, model in enumerate(models):
        host = Host(name=LINUX_HOSTS[n % 2], local=True, os="linux")
        when = at + timedelta(minutes=n // 2)
        results = tuple(collector.evaluate(model, dnf, host, when))
        runs.append(CheckRun(collector.name, host.name, when, 0.1, results))
    return runs


def _linux_software_run(at: datetime) -> CheckRun:
    """dpkg's list with a half-installed package (status iF) and one too old for its rule."""
    sample = b"thunderbird\t1:115.3.1-1~deb12u1\tiF\nfirefox-esr\t115.12.0esr-1~deb12u1\tii\n"
    io = CollectorIO(run=lambda argv, **kw: CommandOutput(tuple(argv), 0, sample, b""), platform="linux")
    host = Host(name=LINUX_HOSTS[0], local=True, os="linux")
    collector = SoftwareCollector()
    params = SoftwareParams(required=[{"name": "thunderbird", "label": "Mail"},
                                      {"name": "firefox-esr", "label": "Browser", "min_version": "128"}])
    results = tuple(collector.evaluate(collector.parse(collector.fetch(host, params, io)), params, host, at))
    return CheckRun("software", host.name, at, 0.1, results)


def _spooler_runs(at: datetime) -> list[CheckRun]:
    runs = []
    for folder in sorted(p for p in (TESTS / "printers" / "fixtures" / "windows").iterdir() if p.is_dir()):
        sample = (folder / "output.json").read_bytes()
        io = CollectorIO(run=lambda argv, **kw: CommandOutput(tuple(argv), 0, sample, b""), platform="windows")
        host = Host(name=f"pc-print-{folder.name[:12]}", local=True)
        collector = PrintersCollector()
        params = collector.params_model()
        results = tuple(collector.evaluate(collector.parse(collector.fetch(host, params, io)), params, host, at))
        runs.append(CheckRun("printers", host.name, at, 0.1, results))
    return runs


@pytest.fixture(scope="module")
def store_and_inventory(snmpsim, tmp_path_factory):
    folder = tmp_path_factory.mktemp("lang-store")
    store = Store.open(f"sqlite:///{folder / 'p.sqlite'}", "hq")
    dead = free_port("udp")  # nobody listens: a device that is down
    switches = [NetworkDevice(name=name, address="127.0.0.1", snmp=_snmp(snmpsim, rec)) for name, rec in SWITCHES.items()]
    switches.append(NetworkDevice(name="edge-sw9", address="127.0.0.1", snmp=_snmp(dead, "public")))
    printers = [Printer(name=name, address="127.0.0.1", snmp=_snmp(snmpsim, rec)) for name, rec in PRINTERS.items()]
    printers.append(Printer(name="prn-dead", address="127.0.0.1", snmp=_snmp(dead, "public")))
    local = Host(name="this-server", local=True)
    inventory = Inventory(site=Site(name="hq", customer="示例客户"), hosts=[local], network_devices=switches,
                          printers=printers)
    switch_params = SwitchParams(response_time_s={"warn": None, "crit": None})
    printer_params = PrinterSnmpParams(recheck_after_s=0.1)
    # Disk and memory limits low enough that this machine's own results are findings too; a
    # required service that does not exist is one more.
    system_params = SystemParams(disk={"used_percent": {"warn": 1, "crit": 99.9}}, memory_used_percent={"warn": 1},
                                 required_services=("patrol-no-such-service",))
    # Five polls, 20 min apart; the flaky switch is dead on every other poll (a recurring problem).
    for i in range(5):
        at = T0 + timedelta(minutes=20 * i)
        for device in switches:
            store.record_run(_poll(SwitchCollector(), device, switch_params, at, folder / "state"))
        flaky = NetworkDevice(name="flaky-sw5", address="127.0.0.1",
                              snmp=_snmp(dead if i % 2 else snmpsim, "public" if i % 2 else "dlink-des3028"))
        store.record_run(_poll(SwitchCollector(), flaky, switch_params, at, folder / "state"))
        for printer in printers:
            store.record_run(_poll(PrinterSnmpCollector(), printer, printer_params, at, folder / "state"))
        store.record_run(_poll(SystemCollector(), local, system_params, at, folder / "state"))
    at = T0 + timedelta(hours=2)
    av = sorted(p for p in (TESTS / "antivirus" / "fixtures" / "windows").iterdir() if p.is_dir())
    wu = sorted(p for p in (TESTS / "patches" / "fixtures" / "windows").iterdir() if p.is_dir())
    for run in (*_windows_runs(AntivirusCollector(), av, at), *_windows_runs(PatchesCollector(), wu, at),
                *_spooler_runs(at), _software_run(at), *_linux_antivirus_runs(at, folder / "linux"),
                *_linux_patch_runs(at, folder), _linux_software_run(at)):
        store.record_run(run)
    yield store, inventory
    store.close()


def _reports(store, inventory, lang):
    now = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)
    settings = ReportsSettings(recurring_after=1)
    inspection = build_inspection(store.engine, inventory, "hq", OCTOBER, now=now, lang=lang, settings=settings,
                                  inspected_by="patrol-test")
    faults = build_faults(store.engine, inventory, "hq", OCTOBER, now=now, lang=lang, settings=settings)
    return inspection, faults


def _data_texts(store, inventory) -> set[str]:
    """What devices and systems said or named: it may stay as it is in any language."""
    out = {inventory.site.name, "patrol-test", ZONE, "patrol inspect"}  # the last: a command to type
    for target in inventory.targets:
        out |= {target.name, target.address}

    def params(ref: MessageRef) -> None:
        for _, value in ref.params:
            for v in value if isinstance(value, tuple) else (value,):
                if isinstance(v, MessageRef):
                    params(v)
                elif isinstance(v, str):
                    out.add(v)

    for result in store.results_between(OCTOBER.start, OCTOBER.end):
        out |= {result.target, result.item}
        if result.message is not None:
            params(result.message)
    return {t for t in out if t}


def _visible_text(page: str) -> str:
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    page = re.sub(r"<svg.*?</svg>", lambda m: " ".join(re.findall(r">([^<]+)<", m.group(0))), page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def english_words(page: str, data: set[str]) -> list[str]:
    """Latin words left in the page's visible text (tooltips of charts included) once data is out."""
    text = _visible_text(page)
    for item in sorted(data, key=len, reverse=True):
        text = text.replace(item, " ")
    found = []
    for match in re.finditer(r"[A-Za-z][A-Za-z_]{2,}", text):
        if match.group(0) not in ALLOWED:
            found.append(f"{match.group(0)!r} in …{text[max(0, match.start() - 40):match.end() + 40].strip()}…")
    return found


def sentences(inspection, faults):
    for device in inspection.devices:
        for cell in device.cells:
            for e in cell.evidence:
                yield e.check, e.summary, e.message_id
    for f in inspection.findings:
        yield f.check, f.summary, f.message_id
    for r in faults.recurring:
        yield r.check, r.last_summary, r.message_id


def test_the_store_holds_what_the_real_collectors_said(store_and_inventory):
    store, _ = store_and_inventory
    checks = {r.check for r in store.results_between(OCTOBER.start, OCTOBER.end)}
    # the families whose evidence reports carry, each with problems among its results
    for family in ("system.", "switch.", "printer_snmp.", "printers.", "antivirus.", "patches."):
        assert any(c.startswith(family) for c in checks), family
    states = {(r.check, r.state.value) for r in store.results_between(OCTOBER.start, OCTOBER.end)}
    assert ("switch.reachability", "crit") in states and ("printer_snmp.reachability", "crit") in states
    assert ("printer_snmp.status", "crit") in states or ("printer_snmp.status", "warn") in states


def test_every_sentence_of_a_zh_cn_report_comes_from_the_catalogue(store_and_inventory):
    store, inventory = store_and_inventory
    zh, zh_faults = _reports(store, inventory, "zh-CN")
    en, en_faults = _reports(store, inventory, "en")
    rows = list(sentences(zh, zh_faults))
    assert len(rows) > 100 and zh_faults.recurring and zh.findings
    untranslated = [(check, text) for check, text, mid in rows if mid is None]
    assert not untranslated, f"results without a message id: {untranslated[:10]}"
    english = {text for _, text, _ in sentences(en, en_faults)}
    same = [(check, text) for check, text, _ in rows if text in english and re.search(r"[A-Za-z]{3,}", text)]
    assert not same, f"zh-CN sentences left in English (no zh-CN entry?): {same[:10]}"


def test_a_zh_cn_report_has_no_english_words_and_no_check_ids(store_and_inventory):
    store, inventory = store_and_inventory
    data = _data_texts(store, inventory)
    for report in _reports(store, inventory, "zh-CN"):
        page = render_html(report)
        found = english_words(page, data)
        assert not found, f"{len(found)} English words:\n" + "\n".join(found[:40])
        for check in {r.check for r in store.results_between(OCTOBER.start, OCTOBER.end)}:
            assert f">{check}<" not in page and f" {check} " not in _visible_text(page), check


def test_the_rule_fires_on_english_and_on_a_missing_catalogue_entry(store_and_inventory, monkeypatch):
    store, inventory = store_and_inventory
    data = _data_texts(store, inventory)
    en, _ = _reports(store, inventory, "en")
    assert len(english_words(render_html(en), data)) > 100
    entries = dict(i18n.catalogue("zh-CN"))
    del entries["msg.switch.ports"]
    monkeypatch.setattr(i18n, "catalogue", lambda lang: entries if lang == "zh-CN" else i18n.catalogue.__wrapped__(lang))
    zh, _ = _reports(store, inventory, "zh-CN")
    found = english_words(render_html(zh), data)
    assert any("'ports'" in f or "'administratively'" in f for f in found), found[:5]


# Where the Windows antivirus, update and software checks pass text the system gave or the
# user configured, by (message id, parameter): product, service, process and package names,
# paths, versions, dates, codes, an error message as Windows printed it. Every other parameter
# of theirs is Patrol's own wording and must be a nested message (translated), never text.
WINDOWS_DATA_SLOTS = {
    ("antivirus.product", "name"), ("antivirus.policy.too_many", "names"),
    *{(f"antivirus.status.{s}", "names") for s in ("secondary", "passive_stopped", "off_stopped")},
    ("antivirus.present.none", "sources"),  # the data source modules' names
    ("antivirus.source.error", "reason"),  # the error of a source as PowerShell or the parser gave it
    ("antivirus.signatures.age_updated", "updated"), ("antivirus.signatures.age_updated_flagged", "updated"),
    ("antivirus.wsc.mode", "code"), ("antivirus.third_party.service_missing", "service"),
    ("antivirus.third_party.service_stopped", "service"), ("antivirus.third_party.service_running", "service"),
    ("antivirus.third_party.no_signature_file", "path"),
    ("antivirus.known.running", "names"), ("antivirus.known.stopped", "names"),
    ("patches.critical_age", "name"), ("patches.critical_age", "wanted"),  # the configured severities
    ("patches.critical_age.none", "wanted"), ("patches.critical_age.undated", "wanted"),
    ("patches.fallback", "name"), ("patches.fallback", "date"), ("patches.last_update.newest", "name"),
    ("patches.last_update.newest", "date"), ("patches.last_update", "at"),
    ("patches.wu.search_failed", "code"), ("patches.wu.search_failed", "meaning"),  # Windows' message for an unknown code
    ("patches.wu.search_not_ok", "code"),
    *{(f"software.{s}", p) for s in ("installed", "installed_more", "not_allowed", "missing")
      for p in ("item", "name", "version", "source")},
    ("software.reason", "name"),
    # The Linux modules' data: process, service and package manager names, paths, the OS's
    # error, a command and its first error line, a file name, dpkg's status letters.
    ("antivirus.clamav.running", "name"), ("antivirus.clamav.stopped", "names"),
    ("antivirus.clamav.updater_stopped", "names"), ("antivirus.clamav.no_dir", "path"),
    ("antivirus.clamav.unreadable_dir", "path"), ("antivirus.clamav.unreadable_dir", "error"),
    ("antivirus.clamav.no_databases", "path"), ("antivirus.linux_third_party.stopped", "service"),
    ("antivirus.linux_third_party.running", "service"), ("patches.failed", "command"), ("patches.failed", "error"),
    ("patches.apt.refreshed", "source"), ("software.linux.broken", "manager"), ("software.linux.broken", "status"),
    *{(f"software.reason.{s}", p) for s in ("older", "newer", "not_listed") for p in ("version", "limit", "allowed")},
}


def patrol_text_params(ref: MessageRef) -> list[tuple[str, str, str]]:
    """(message id, parameter, text) of every text parameter outside WINDOWS_DATA_SLOTS."""
    found = []
    for name, value in ref.params:
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, MessageRef):
                found += patrol_text_params(v)
            elif isinstance(v, str) and (ref.id, name) not in WINDOWS_DATA_SLOTS:
                found.append((ref.id, name, v))
    return found


# The Linux modules' own English (ClamAV, the hand-configured product, apt, dnf, dpkg): looked
# for on the Linux hosts only (a Windows source error may say "exit code" as PowerShell did).
LINUX_PHRASES = ("running", "not being updated", "does not exist", "no signature", "package lists refreshed",
                 "Release file", "metadata refreshed", "failed:", "exit code", " status ", "no process configured")


def test_windows_checks_give_their_own_wording_as_messages_not_text(store_and_inventory):
    """Antivirus modes and problems, Windows Update's explanations and the software version
    reasons are Patrol's words: given as text they would stay English in a zh-CN report while
    the rule above counts them as data. So every text parameter must sit where data goes."""
    store, _ = store_and_inventory
    results = [r for r in store.results_between(OCTOBER.start, OCTOBER.end)
               if r.check.split(".")[0] in ("antivirus", "patches", "software")]
    families = {r.check.split(".")[0] for r in results}
    assert families == {"antivirus", "patches", "software"}
    linux = {(r.target, r.check.split(".")[0]) for r in results if r.target in LINUX_HOSTS}
    assert linux == {(h, f) for h in LINUX_HOSTS for f in ("antivirus", "patches")} | {(LINUX_HOSTS[0], "software")}
    assert all(r.message is not None for r in results)
    texts = [(r.target, r.check, *t) for r in results for t in patrol_text_params(r.message)]
    assert not texts, f"Patrol's wording passed as text: {texts[:10]}"
    # Translated in zh-CN (the Windows-made words among them) and not English any more.
    zh = i18n.Translator("zh-CN")
    for r in results:
        text, _ = zh.result_text(r.summary, messages.to_json(r.message))
        for phrase in ("real-time", "not running", "out of date", "Passive Mode", "EDR Block", "antivirus disabled",
                       "search failed", "successful install", "older than", "newer than", "not one of",
                       "no version recorded", "productState", "not installed", "does not resolve",
                       *(LINUX_PHRASES if r.target in LINUX_HOSTS else ())):
            assert phrase not in text, (r.target, r.check, text)


def test_the_wording_rule_fires_on_a_phrase_given_as_text():
    from collectors.antivirus import MSG

    old_style = MSG.ref("antivirus.status.on", mode="EDR Block Mode, antivirus disabled")
    assert patrol_text_params(MSG.ref("antivirus.status", text=old_style)) == [
        ("antivirus.status.on", "mode", "EDR Block Mode, antivirus disabled")]
    software = MSG.ref("antivirus.status", text="16.0.1 is older than the minimum 16.0.2")
    assert patrol_text_params(software) == [("antivirus.status", "text", "16.0.1 is older than the minimum 16.0.2")]

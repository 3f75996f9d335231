"""Hardware check: Windows problem codes, sysfs trees (recorded and this machine's), kernel log."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from collectors.base import CollectorIO, CommandOutput, ParseError, State
from collectors.commands import run_command
from collectors.hardware import HardwareCollector, HardwareSnapshot
from collectors.platforms.linux import hardware as linux
from collectors.platforms.windows import hardware as windows
from collectors.platforms.windows.hardware_codes import CODES
from config.checks.hardware import HardwareParams
from inventory.models import Host

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
HOST = Host(name="pc-17", local=True)
FIXTURES = Path(__file__).parent / "fixtures"
WINDOWS_CASES = sorted(p for p in (FIXTURES / "windows").iterdir() if p.is_dir())
COLLECTOR = HardwareCollector()


def run_all(model: HardwareSnapshot, **params) -> dict[str, object]:
    return {r.check: r for r in COLLECTOR.evaluate(model, HardwareParams(**params), HOST, NOW)}


def ps(stdout: bytes, returncode: int = 0, stderr: bytes = b"") -> CommandOutput:
    return CommandOutput(("powershell.exe",), returncode, stdout, stderr)


def test_code_table_covers_0_to_57() -> None:
    assert sorted(CODES) == list(range(58))
    assert CODES[28][2] == "driver" and CODES[12][2] == "device" and CODES[22][0] == "CM_PROB_DISABLED"


@pytest.mark.parametrize("case", WINDOWS_CASES, ids=[c.name for c in WINDOWS_CASES])
def test_windows_samples(case: Path) -> None:
    model = windows.parse(ps((case / "output.json").read_bytes()))
    got = {check: r.state.value for check, r in run_all(model).items()}
    assert got == json.loads((case / "expected.json").read_text())


def test_windows_summary_names_devices_and_meanings() -> None:
    model = windows.parse(ps((FIXTURES / "windows" / "missing_drivers_and_conflict" / "output.json").read_bytes()))
    results = run_all(model)
    driver, device = results["hardware.driver"], results["hardware.device"]
    assert driver.summary.startswith("2 device(s) without a working driver: PCI Simple Communications Controller: "
                                     "code 28 CM_PROB_FAILED_INSTALL: the drivers for this device are not installed")
    assert "resource conflict" in device.details and "code 10" in device.summary
    assert "USB Mass Storage Device" in device.details and "OK USB" in device.details  # code 45: unplugged, fine
    assert {m.name: m.value for m in device.metrics} == {"device_problem_devices_count": 2}


def test_windows_overrides_and_ignores() -> None:
    model = windows.parse(ps((FIXTURES / "windows" / "missing_drivers_and_conflict" / "output.json").read_bytes()))
    results = run_all(model, ignore_devices=("PCI\\VEN_8086&DEV_A3*",), code_states={10: "warn", 12: "ok"})
    assert (results["hardware.driver"].state, results["hardware.device"].state) == (State.OK, State.WARN)


def test_problem_codes_by_meaning_with_configurable_defaults() -> None:
    """28 (driver not installed) and 43 (stopped by Windows) are WARN, a device the user
    disabled (22) is not a fault, a conflict is CRIT; each meaning's state is a setting."""
    sample = ps(b'{"Total":9,"Problems":['
                b'{"Name":"Webcam","PNPDeviceID":"USB\\\\VID_1\\\\1","PNPClass":"Camera","ConfigManagerErrorCode":43},'
                b'{"Name":"Bluetooth","PNPDeviceID":"USB\\\\VID_2\\\\2","PNPClass":"Bluetooth","ConfigManagerErrorCode":22}]}')
    results = run_all(windows.parse(sample))
    assert results["hardware.device"].state is State.WARN
    assert "Webcam [Camera]: code 43 CM_PROB_FAILED_POST_START" in results["hardware.device"].summary
    assert "OK USB" in results["hardware.device"].details  # the disabled one is listed, not counted
    strict = run_all(windows.parse(sample), problem_states={"stopped": "crit", "disabled": "warn"})
    assert strict["hardware.device"].state is State.CRIT
    drivers = windows.parse(ps((FIXTURES / "windows" / "missing_drivers_and_conflict" / "output.json").read_bytes()))
    assert run_all(drivers)["hardware.driver"].state is State.WARN
    assert run_all(drivers, problem_states={"driver_missing": "crit"})["hardware.driver"].state is State.CRIT
    assert run_all(drivers, code_states={28: "ok"})["hardware.driver"].state is State.OK  # one code wins over its group


@pytest.mark.parametrize("stdout, returncode, message", [
    (b"", 1, "failed"),
    (b"[]", 0, "expected an object"),
    (b'{"Total":3,"Problems":[{"Name":"x"}]}', 0, "without PNPDeviceID"),
    (b'{"Total":3,"Problems":"x"}', 0, "expected JSON objects"),
], ids=["wmi-failed", "array", "no-id", "problems-not-objects"])
def test_windows_broken_outputs(stdout: bytes, returncode: int, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        windows.parse(ps(stdout, returncode, b"Get-CimInstance : Invalid class"))


def _sysfs(case: str, kernel: tuple[CommandOutput, ...] | None = None) -> HardwareSnapshot:
    io = CollectorIO(run=run_command, fs_root=FIXTURES / "sysfs" / case)
    sample = linux.SysfsSample(linux.read_pci(io), linux.read_usb(io), kernel)
    return linux.parse(sample)


def test_recorded_kvm_guest_has_only_an_ignored_bridge() -> None:
    model = _sysfs("kvm_guest")
    assert model.devices_total == 6
    assert [i.device_id for i in model.issues] == ["pci 0000:00:00.0"]
    assert run_all(model)["hardware.driver"].state is State.OK
    assert run_all(model, ignore_pci_classes=())["hardware.driver"].state is State.WARN


def test_laptop_tree_reports_wifi_and_webcam() -> None:
    model = _sysfs("laptop_missing_drivers")
    result = run_all(model)["hardware.driver"]
    assert result.state is State.WARN
    listed = [line.split(":")[0] for line in result.details.splitlines()]
    assert listed == ["WARN pci 0000", "WARN usb 1-5", "WARN usb 1-5"]
    assert "network controller [8086:02f0]" in result.summary and "Integrated_Webcam_HD [0c45:6a1b]" in result.details
    assert run_all(model, unbound_state="crit", ignore_devices=("usb 1-5:*",))["hardware.driver"].state is State.CRIT


def test_unreadable_pci_class_is_a_parse_error() -> None:
    sample = linux.SysfsSample(({"slot": "0000:00:01.0", "class": "", "vendor": "", "device": "", "driver": ""},), (), None)
    with pytest.raises(ParseError, match="no readable class"):
        linux.parse(sample)


def _out(argv: str, rc: int, stdout: str = "", stderr: str = "") -> CommandOutput:
    return CommandOutput((argv,), rc, stdout.encode(), stderr.encode())


DMESG_LINES = ("usb 1-5: device descriptor read/64, error -71\n"
               "ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PC00.XHCI.RHUB.HS01._PLD], AE_NOT_FOUND\n"
               "ata2: COMRESET failed (errno=-16)\n")


@pytest.mark.parametrize("kernel, mode, state, words", [
    ((_out("dmesg", 0, DMESG_LINES),), "auto", State.WARN, "2 kernel error line(s) this boot, last: ata2: COMRESET"),
    ((_out("dmesg", 0, ""),), "auto", State.OK, "no kernel error lines"),
    ((_out("dmesg", 1, "", "dmesg: read kernel buffer failed: Operation not permitted"),
      _out("journalctl", 0, "usb 1-5: device not accepting address 7, error -71\n")), "auto", State.WARN, "address 7"),
    ((_out("dmesg", 1, "", "Operation not permitted"), _out("journalctl", 1, "", "No journal files were found.")),
     "on", State.UNKNOWN, "kernel log not readable (dmesg: Operation not permitted; journalctl: No journal files"),
    ((_out("dmesg", 1, "", "Operation not permitted"),), "auto", None, ""),
    (None, "off", None, ""),
], ids=["dmesg-errors", "dmesg-clean", "journalctl-fallback", "unreadable-on", "unreadable-auto", "off"])
def test_kernel_log(kernel, mode: str, state: State | None, words: str) -> None:
    got = run_all(_sysfs("kvm_guest", kernel), kernel_log=mode).get("hardware.kernel_errors")
    if state is None:
        assert got is None
    else:
        assert got.state is state and words in got.summary, got.summary


def test_this_machine() -> None:
    """The real /sys and kernel log of the test machine: parses, and counts every PCI device."""
    params = HardwareParams(kernel_log="on")
    model = COLLECTOR.parse(COLLECTOR.fetch(HOST, params, CollectorIO(run=run_command)))
    assert model.devices_total >= len(list(Path("/sys/bus/pci/devices").iterdir()))
    checks = {r.check: r for r in COLLECTOR.evaluate(model, params, HOST, NOW)}
    assert set(checks) == {"hardware.driver", "hardware.device", "hardware.kernel_errors"}
    assert checks["hardware.kernel_errors"].state is not State.UNKNOWN, checks["hardware.kernel_errors"].summary


def test_whole_collector_on_windows_through_the_command_runner() -> None:
    sample = (FIXTURES / "windows" / "missing_drivers_and_conflict" / "output.json").read_bytes()

    def run(argv, *, timeout, input=None, env=None):
        assert "Win32_PnPEntity" in argv[-1]
        return CommandOutput(tuple(argv), 0, sample, b"")

    params = HardwareParams()
    model = COLLECTOR.parse(COLLECTOR.fetch(HOST, params, CollectorIO(run=run, platform="windows")))
    got = {r.check: r.state for r in COLLECTOR.evaluate(model, params, HOST, NOW)}
    assert got == {"hardware.driver": State.WARN, "hardware.device": State.CRIT}  # no kernel log on Windows


def test_linux_says_device_errors_come_from_the_kernel_log() -> None:
    device = run_all(_sysfs("laptop_missing_drivers"))["hardware.device"]
    assert device.state is State.OK and device.summary == "sysfs has no device error states: see hardware.kernel_errors"


# Published device records (fixtures/recorded/SOURCES.md): file -> (device name, problem code).
# Get-PnpDevice's FriendlyName/InstanceId/Problem are its aliases of Win32_PnPEntity's
# Name/PNPDeviceID/ConfigManagerErrorCode; its view prints the code by its CM_PROB_* name.
RECORDED_PNP = {
    "get-pnpdevice-phantom-monitor.txt": ("Generic Non-PnP Monitor", 45),
    "get-pnpdevice-intel-nic-ok.txt": ("Intel(R) Ethernet Connection (9) I219-LM", 0),
    "get-pnpdevice-ch554-cdc-code28.txt": ("CH554_CDC", 28),
    "get-pnpdevice-unknown-usb-code43.txt": ("Unknown USB Device (Device Descriptor Request Failed)", 43),
    "get-pnpdevice-amd-gpu-disabled-code22.txt": ("AMD Radeon RX 5700 XT", 22),
}
_PNPUTIL_LINE = re.compile(r"^\s*(?P<label>Instance ID|Device Description):\s*(?P<value>.*?)\s*$")


def recorded_pnp(name: str) -> dict:
    """One published record as the hardware SCRIPT prints a problem device (notation only)."""
    from tests.support.recorded_windows import format_list_records

    text = (FIXTURES / "recorded" / name).read_text(encoding="utf-8")
    record: dict[str, str] = {}
    for part in format_list_records(text):
        record.update({k: v for k, v in part.items() if v})
    # pnputil /enum-devices names the device the Get-PnpDevice excerpt of the same machine does not
    pnputil = {m["label"]: m["value"] for m in map(_PNPUTIL_LINE.match, text.splitlines()) if m}
    by_name = {entry[0]: code for code, entry in CODES.items()}
    return {"Name": record.get("Name") or record.get("FriendlyName") or pnputil["Device Description"],
            "PNPDeviceID": record.get("PNPDeviceID") or record.get("InstanceId") or record.get("Device")
            or pnputil["Instance ID"],
            "PNPClass": record.get("PNPClass") or record.get("Class") or None,
            "ConfigManagerErrorCode": by_name[record.get("ConfigManagerErrorCode") or record["Problem"]]}


@pytest.mark.parametrize("name", sorted(RECORDED_PNP))
def test_recorded_pnp_record_reads_as_published(name: str) -> None:
    record = recorded_pnp(name)
    assert (record["Name"], record["ConfigManagerErrorCode"]) == RECORDED_PNP[name]


# file -> the verdicts when it is the only problem device (besides the OK ones)
RECORDED_VERDICTS = {
    # remembered but not connected: listed, never an alarm
    "get-pnpdevice-phantom-monitor.txt": {"hardware.driver": State.OK, "hardware.device": State.OK},
    # driver not installed: WARN, as engineers treat it
    "get-pnpdevice-ch554-cdc-code28.txt": {"hardware.driver": State.WARN, "hardware.device": State.OK},
    # Windows stopped the device after it reported problems
    "get-pnpdevice-unknown-usb-code43.txt": {"hardware.driver": State.OK, "hardware.device": State.WARN},
    # disabled by the user (pnputil /disable-device): not a fault
    "get-pnpdevice-amd-gpu-disabled-code22.txt": {"hardware.driver": State.OK, "hardware.device": State.OK},
}


@pytest.mark.parametrize("name", sorted(RECORDED_VERDICTS))
def test_recorded_pnp_verdicts(name: str) -> None:
    problems = [recorded_pnp(name)]
    total = 1 + 1  # the recorded OK adapter is on the list too, and not reported
    model = windows.parse(ps(json.dumps({"Total": total, "Problems": problems}).encode()))
    results = run_all(model)
    assert {check: r.state for check, r in results.items()} == RECORDED_VERDICTS[name]
    assert RECORDED_PNP[name][0] in results["hardware.device"].details + results["hardware.driver"].details


_DEVMGR_ROW = re.compile(r"^\s*\|\s*\d+\s*\|\s*(?P<name>[^|]+?)\s*\|\s*(?P<id>[A-Z]+\\[^|]+?)\s*\|")


def test_recorded_zh_cn_devices_without_drivers() -> None:
    """A zh-CN Windows 10 after installation (a Panasonic CF-LX5): the author's list of the 16
    devices Windows did not recognise, Chinese names as Device Manager shows them. The list
    gives names and hardware IDs, not the code: devices without a driver after setup are
    code 28 (the author installs the Intel chipset/ME/DPTF/Bluetooth drivers for them), so the
    test gives them 28 and the hardware ID as the device ID (SOURCES.md says so)."""
    text = (FIXTURES / "recorded" / "devmgr-zh-cn-panasonic-missing-drivers.md").read_text(encoding="utf-8")
    rows = [m.groupdict() for m in map(_DEVMGR_ROW.match, text.splitlines()) if m]
    assert len(rows) == 16 and rows[5] == {"name": "SM 总线控制器", "id": "PCI\\VEN_8086&DEV_9D23&SUBSYS_833810F7&REV_21"}
    problems = [{"Name": r["name"], "PNPDeviceID": r["id"], "PNPClass": None, "ConfigManagerErrorCode": 28} for r in rows]
    model = windows.parse(ps(json.dumps({"Total": 140, "Problems": problems}, ensure_ascii=False).encode("utf-8")))
    results = run_all(model)
    assert {check: r.state for check, r in results.items()} == {"hardware.driver": State.WARN, "hardware.device": State.OK}
    details = results["hardware.driver"].details
    # the Chinese names come through whole (the UTF-8 output of the script), each device once
    assert "PCI 简单通讯控制器" in details and "PCI 数据捕获和信号处理控制器" in details and "未知设备" in details

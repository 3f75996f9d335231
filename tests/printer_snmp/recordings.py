"""The printer recordings snmpsim serves, written as data: ``python -m tests.printer_snmp.recordings``.

snmpsim-data has no printer, so these are constructed from the MIBs (RFC 2790
HOST-RESOURCES-MIB, RFC 3805 Printer-MIB, IANA-PRINTER-MIB), shaped like what HP, Brother
and Ricoh laser printers answer (for instance HP's -3 "some remaining" paper trays and
two-byte hrPrinterDetectedErrorState). They are not recorded from devices. Running this
module rewrites data/<community>.snmprec; test_recordings checks the files match.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"

# snmprec value tags
INT, STR, HEX, OID, COUNTER, GAUGE, TICKS = "2", "4", "4x", "6", "65", "66", "67"

Record = tuple[str, str, str]  # oid, tag, value


def system(descr: str, name: str, object_id: str = "1.3.6.1.4.1.11.2.3.9.1") -> list[Record]:
    return [
        ("1.3.6.1.2.1.1.1.0", STR, descr),  # sysDescr
        ("1.3.6.1.2.1.1.2.0", OID, object_id),  # sysObjectID
        ("1.3.6.1.2.1.1.3.0", TICKS, "8640000"),  # sysUpTime
        ("1.3.6.1.2.1.1.5.0", STR, name),  # sysName
    ]


def hr_device(index: int, descr: str, status: int, device_type: str = "1.3.6.1.2.1.25.3.1.5") -> list[Record]:
    return [
        (f"1.3.6.1.2.1.25.3.2.1.1.{index}", INT, str(index)),  # hrDeviceIndex
        (f"1.3.6.1.2.1.25.3.2.1.2.{index}", OID, device_type),  # hrDeviceType (hrDevicePrinter)
        (f"1.3.6.1.2.1.25.3.2.1.3.{index}", STR, descr),  # hrDeviceDescr
        (f"1.3.6.1.2.1.25.3.2.1.5.{index}", INT, str(status)),  # hrDeviceStatus
    ]


def hr_printer(index: int, status: int, errors_hex: str) -> list[Record]:
    return [
        (f"1.3.6.1.2.1.25.3.5.1.1.{index}", INT, str(status)),  # hrPrinterStatus
        (f"1.3.6.1.2.1.25.3.5.1.2.{index}", HEX, errors_hex),  # hrPrinterDetectedErrorState
    ]


def supply(index: int, klass: int, kind: int, descr: str, max_capacity: int, level: int, device: int = 1) -> list[Record]:
    i = f"{device}.{index}"
    return [
        (f"1.3.6.1.2.1.43.11.1.1.4.{i}", INT, str(klass)),  # prtMarkerSuppliesClass
        (f"1.3.6.1.2.1.43.11.1.1.5.{i}", INT, str(kind)),  # prtMarkerSuppliesType
        (f"1.3.6.1.2.1.43.11.1.1.6.{i}", STR, descr),  # prtMarkerSuppliesDescription
        (f"1.3.6.1.2.1.43.11.1.1.7.{i}", INT, "19"),  # prtMarkerSuppliesSupplyUnit (percent)
        (f"1.3.6.1.2.1.43.11.1.1.8.{i}", INT, str(max_capacity)),  # prtMarkerSuppliesMaxCapacity
        (f"1.3.6.1.2.1.43.11.1.1.9.{i}", INT, str(level)),  # prtMarkerSuppliesLevel
    ]


def marker(count: int, unit: int = 7, index: int = 1, device: int = 1) -> list[Record]:
    i = f"{device}.{index}"
    return [
        (f"1.3.6.1.2.1.43.10.2.1.3.{i}", INT, str(unit)),  # prtMarkerCounterUnit (impressions)
        (f"1.3.6.1.2.1.43.10.2.1.4.{i}", COUNTER, str(count)),  # prtMarkerLifeCount
    ]


def tray(index: int, kind: int, max_capacity: int, level: int, status: int, media: str, name: str,
         device: int = 1) -> list[Record]:
    i = f"{device}.{index}"
    return [
        (f"1.3.6.1.2.1.43.8.2.1.2.{i}", INT, str(kind)),  # prtInputType
        (f"1.3.6.1.2.1.43.8.2.1.9.{i}", INT, str(max_capacity)),  # prtInputMaxCapacity
        (f"1.3.6.1.2.1.43.8.2.1.10.{i}", INT, str(level)),  # prtInputCurrentLevel
        (f"1.3.6.1.2.1.43.8.2.1.11.{i}", INT, str(status)),  # prtInputStatus
        (f"1.3.6.1.2.1.43.8.2.1.12.{i}", STR, media),  # prtInputMediaName
        (f"1.3.6.1.2.1.43.8.2.1.13.{i}", STR, name),  # prtInputName
        (f"1.3.6.1.2.1.43.8.2.1.18.{i}", STR, name),  # prtInputDescription
    ]


def alert(index: int, severity: int, group: int, location: int, code: int, descr: str, device: int = 1) -> list[Record]:
    i = f"{device}.{index}"
    return [
        (f"1.3.6.1.2.1.43.18.1.1.2.{i}", INT, str(severity)),  # prtAlertSeverityLevel
        (f"1.3.6.1.2.1.43.18.1.1.4.{i}", INT, str(group)),  # prtAlertGroup
        (f"1.3.6.1.2.1.43.18.1.1.6.{i}", INT, str(location)),  # prtAlertLocation
        (f"1.3.6.1.2.1.43.18.1.1.7.{i}", INT, str(code)),  # prtAlertCode
        (f"1.3.6.1.2.1.43.18.1.1.8.{i}", STR, descr),  # prtAlertDescription
        (f"1.3.6.1.2.1.43.18.1.1.9.{i}", TICKS, "8600000"),  # prtAlertTime
    ]


MONO = "HP LaserJet Pro M404dn"
COLOR = "Brother HL-L8360CDW series"

PRINTERS: dict[str, list[Record]] = {
    # Idle, no condition, 80% toner, a tray the printer only knows is not empty (-3).
    "healthy-laser": [
        *system(f"{MONO}, FW:002.2149A, SN:PHBLB12345", "prn-office-1"),
        *hr_device(1, MONO, 2), *hr_device(2, "HP Ethernet network interface", 2, "1.3.6.1.2.1.25.3.1.4"),
        *hr_printer(1, 3, "0000"),
        *tray(1, 5, 100, 0, 0, "Plain", "Tray 1"),  # manual feed, empty as usual
        *tray(2, 3, 250, -3, 0, "Plain", "Tray 2"),
        *marker(12345),
        *supply(1, 3, 21, "Black Cartridge HP CF259A", 100, 80),
    ],
    # A colour printer warning about black and magenta; its waste box has room.
    "toner-low": [
        *system(f"{COLOR}, Firmware Ver.1.32", "prn-color-2", "1.3.6.1.4.1.2435.2.3.9.1"),
        *hr_device(1, COLOR, 3),
        *hr_printer(1, 3, "20"),  # one byte: lowToner
        *tray(1, 3, 250, 180, 0, "A4", "Tray1"),
        *marker(48211),
        *supply(1, 3, 3, "Black Toner TN-423BK", 6500, 520),
        *supply(2, 3, 3, "Cyan Toner TN-423C", 4000, 1800),
        *supply(3, 3, 3, "Magenta Toner TN-423M", 4000, 480),
        *supply(4, 3, 3, "Yellow Toner TN-423Y", 4000, 2400),
        *supply(5, 4, 4, "Waste Toner Box WT-320CL", 50000, 45000),
        *alert(1, 4, 11, 1, 1104, "Black toner low"),
    ],
    # Out of paper, front door open and a jam; tray 2 empty; the second byte says so too.
    "paper-jam-door": [
        *system(f"{MONO}, FW:002.2149A", "prn-office-3"),
        *hr_device(1, MONO, 5),
        *hr_printer(1, 1, "4C04"),  # noPaper doorOpen jammed | inputTrayEmpty
        *tray(1, 5, 100, 0, 0, "Plain", "Tray 1"),
        *tray(2, 3, 250, 0, 16, "Plain", "Tray 2"),
        *marker(20007),
        *supply(1, 3, 21, "Black Cartridge HP CF259A", 100, 55),
        *alert(1, 3, 13, 2, 8, "Paper jam in tray 2 area"),
        *alert(2, 3, 6, 1, 501, "Front door open"),
        *alert(3, 3, 8, 2, 808, "Tray 2 empty"),
        *alert(4, 5, 5, 0, 503, "Power up"),
    ],
    # Taken offline at the panel.
    "offline": [
        *system(f"{MONO}, FW:002.2149A", "prn-office-4"),
        *hr_device(1, MONO, 5),
        *hr_printer(1, 1, "0200"),  # offline
        *tray(2, 3, 250, 200, 0, "Plain", "Tray 2"),
        *marker(999),
        *supply(1, 3, 21, "Black Cartridge HP CF259A", 100, 70),
    ],
    # A printer that cannot measure: -3 some remaining, -2 unknown, capacity unknown, -1 other.
    "levels-unknown": [
        *system("RICOH SP 5300DN 1.06 / RICOH Network Printer C model", "prn-ricoh-5", "1.3.6.1.4.1.367.1.1"),
        *hr_device(1, "RICOH SP 5300DN 1.06", 2),
        *hr_printer(1, 4, "00"),  # printing, one byte
        *tray(1, 3, -2, -2, 0, "A4", "Tray 1"),
        *marker(3071),
        *supply(1, 3, 3, "Toner Black", 100, -3),
        *supply(2, 3, 9, "Photoconductor Unit", -2, -2),
        *supply(3, 3, 15, "Fusing Unit", -2, 40),
        *supply(4, 4, 4, "Waste Toner Bottle", 100, -1),
    ],
    # Wrong types: an OCTET STRING where an INTEGER belongs.
    "broken-types": [
        *system("Broken printer", "prn-broken"),
        *hr_device(1, "Broken printer", 2),
        ("1.3.6.1.2.1.25.3.5.1.1.1", STR, "idle"),  # hrPrinterStatus as text
        ("1.3.6.1.2.1.25.3.5.1.2.1", HEX, "00"),
        *supply(1, 3, 21, "Black", 100, 50)[:5],
        ("1.3.6.1.2.1.43.11.1.1.9.1.1", STR, "full"),  # prtMarkerSuppliesLevel as text
    ],
    # Answers SNMP but has no printer MIB at all.
    "not-a-printer": [
        *system("Linux gw 5.10.0 #1 SMP x86_64", "gw", "1.3.6.1.4.1.8072.3.2.10"),
    ],
}


def _key(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.split("."))


def render(records: list[Record]) -> str:
    # snmpsim needs the records in OID order.
    return "".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in sorted(records, key=lambda r: _key(r[0])))


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for community, records in PRINTERS.items():
        (DATA / f"{community}.snmprec").write_text(render(records))


if __name__ == "__main__":
    main()

"""The archive as tables: one per kind of part, with English or Chinese headers.

The CSV and XLSX exports (export.py) and `patrol assets list` read these; a table is data
(columns with their headers in both languages, a function giving the rows), so a column is
added in one place. Cells keep their types (int, float, date, str); writers format them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from agent.assets.diff import Change
from agent.assets.join import ArchiveEntry

LANGS = ("zh-CN", "en")
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    id: str
    en: str
    zh: str


@dataclass(frozen=True)
class Table:
    id: str
    en: str
    zh: str
    columns: tuple[Column, ...]
    rows: Callable[[Sequence[ArchiveEntry], Mapping[str, Sequence[Change]], date], Iterator[Row]]

    def title(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.en

    def headers(self, lang: str) -> list[str]:
        return [c.zh if lang == "zh-CN" else c.en for c in self.columns]


def _cols(*spec: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


ASSET = ("asset", "Asset", "设备")


def _gib(value: int | None) -> float | None:
    return None if value is None else round(value / 2**30, 1)


def _gb(value: int | None) -> float | None:
    return None if value is None else round(value / 1e9, 1)


def warranty_status(end: date | None, today: date) -> str:
    """in_warranty | ends_soon (within 90 days) | expired | unknown"""
    if end is None:
        return "unknown"
    left = (end - today).days
    return "expired" if left < 0 else "ends_soon" if left <= 90 else "in_warranty"


WORDS = {
    "en": {"in_warranty": "in warranty", "ends_soon": "ends within 90 days", "expired": "out of warranty",
           "unknown": "not recorded", True: "yes", False: "no"},
    "zh-CN": {"in_warranty": "保修期内", "ends_soon": "90 天内到期", "expired": "已过保", "unknown": "未登记",
              True: "是", False: "否"},
}


def _device_rows(entries: Sequence[ArchiveEntry], _: Mapping[str, Sequence[Change]], today: date) -> Iterator[Row]:
    for e in entries:
        s = e.snapshot
        os_text = " ".join(x for x in (s.os.name, s.os.version) if x) if s is not None and s.os is not None else None
        cpu = "; ".join(c.model for c in s.cpus) if s is not None else None
        yield (e.asset_id, e.kind, e.address, e.typed.get("number"), e.typed.get("label"), e.typed.get("user"),
               e.typed.get("location"), e.typed.get("supplier"), e.typed.get("purchase_date"), e.warranty_end,
               warranty_status(e.warranty_end, today), e.value("maker"), e.value("model"), e.value("serial"),
               os_text, cpu or None, _gib(s.memory_bytes) if s is not None else None,
               s.network.version if s is not None and s.network is not None else None,
               e.current.last_seen if e.current else None,
               "; ".join(f"{c.field}: {c.typed} / {c.captured}" for c in e.conflicts) or None,
               e.in_inventory)


def _parts(attr: str, fields: Callable[[Any], Row]) -> Callable[..., Iterator[Row]]:
    def rows(entries: Sequence[ArchiveEntry], _: Mapping[str, Sequence[Change]], __: date) -> Iterator[Row]:
        for e in entries:
            if e.snapshot is not None:
                for part in getattr(e.snapshot, attr):
                    yield (e.asset_id, *fields(part))
    return rows


def _change_rows(entries: Sequence[ArchiveEntry], changes: Mapping[str, Sequence[Change]], _: date) -> Iterator[Row]:
    import json

    for asset_id in sorted(changes):
        for c in changes[asset_id]:
            yield (asset_id, c.at, c.category, c.action, c.path,
                   None if c.before is None else json.dumps(c.before, ensure_ascii=False),
                   None if c.after is None else json.dumps(c.after, ensure_ascii=False))


def _conflict_rows(entries: Sequence[ArchiveEntry], _: Mapping[str, Sequence[Change]], __: date) -> Iterator[Row]:
    for e in entries:
        for c in e.conflicts:
            yield (e.asset_id, c.field, c.typed, c.captured)


TABLES: tuple[Table, ...] = (
    Table("devices", "Devices", "设备", _cols(
        ASSET, ("kind", "Kind", "类型"), ("address", "Address", "地址"), ("number", "Asset number", "资产编号"),
        ("label", "Label", "标签"), ("user", "User", "使用人"), ("location", "Location", "位置"),
        ("supplier", "Supplier", "供应商"), ("purchase_date", "Purchase date", "购买日期"),
        ("warranty_end", "Warranty end", "保修到期"), ("warranty", "Warranty", "保修状态"),
        ("maker", "Maker", "品牌"), ("model", "Model", "型号"), ("serial", "Serial", "序列号"),
        ("os", "Operating system", "操作系统"), ("cpu", "CPU", "处理器"), ("memory_gib", "Memory (GiB)", "内存 (GiB)"),
        ("firmware", "Firmware version", "固件版本"), ("last_seen", "Last captured", "最近采集"),
        ("conflicts", "Typed / captured conflicts", "登记与采集不一致"), ("in_inventory", "In inventory", "在清单中")),
        _device_rows),
    Table("cpus", "CPUs", "处理器", _cols(ASSET, ("socket", "Socket", "插槽"), ("model", "Model", "型号"),
                                         ("cores", "Cores", "核心数"), ("threads", "Threads", "线程数"),
                                         ("max_mhz", "Max MHz", "最高频率 (MHz)")),
          _parts("cpus", lambda c: (c.socket, c.model, c.cores, c.threads, c.max_mhz))),
    Table("memory", "Memory", "内存", _cols(ASSET, ("slot", "Slot", "插槽"), ("size_gib", "Size (GiB)", "容量 (GiB)"),
                                          ("speed_mts", "Speed (MT/s)", "速率 (MT/s)"), ("type", "Type", "类型"),
                                          ("maker", "Maker", "厂商"), ("serial", "Serial", "序列号"),
                                          ("part_number", "Part number", "料号")),
          _parts("memory", lambda m: (m.slot, _gib(m.size_bytes), m.speed_mts, m.type, m.maker, m.serial, m.part_number))),
    Table("disks", "Disks", "硬盘", _cols(ASSET, ("name", "Device", "设备名"), ("model", "Model", "型号"),
                                        ("serial", "Serial", "序列号"), ("size_gb", "Size (GB)", "容量 (GB)"),
                                        ("type", "Type", "类型"), ("bus", "Bus", "接口"), ("firmware", "Firmware", "固件"),
                                        ("health", "SMART health", "SMART 健康")),
          _parts("disks", lambda d: (d.name, d.model, d.serial, _gb(d.size_bytes), d.type, d.bus, d.firmware, d.health))),
    Table("adapters", "Network adapters", "网卡", _cols(ASSET, ("name", "Name", "名称"), ("mac", "MAC", "MAC 地址"),
                                                     ("ips", "Addresses", "IP 地址"), ("kind", "Kind", "类型"),
                                                     ("speed_mbps", "Speed (Mbit/s)", "速率 (Mbit/s)")),
          _parts("adapters", lambda a: (a.name, a.mac, " ".join(a.ips) or None, a.kind, a.speed_mbps))),
    Table("monitors", "Monitors", "显示器", _cols(ASSET, ("maker", "Maker", "厂商"), ("model", "Model", "型号"),
                                               ("serial", "Serial", "序列号"), ("year", "Year", "生产年份"),
                                               ("connector", "Connector", "接口")),
          _parts("monitors", lambda m: (m.maker, m.model, m.serial, m.year, m.connector))),
    Table("software", "Software", "软件", _cols(ASSET, ("name", "Name", "名称"), ("version", "Version", "版本"),
                                             ("publisher", "Publisher", "发布者"), ("installed_on", "Installed on", "安装日期"),
                                             ("source", "Source", "来源")),
          _parts("software", lambda s: (s.name, s.version, s.publisher, s.installed_on, s.source or None))),
    Table("components", "Components", "模块", _cols(
        ASSET, ("index", "Index", "索引"), ("class", "Class", "类别"), ("name", "Name", "名称"),
        ("description", "Description", "描述"), ("maker", "Maker", "厂商"), ("model", "Model", "型号"),
        ("serial", "Serial", "序列号"), ("hardware_rev", "Hardware rev.", "硬件版本"),
        ("firmware_rev", "Firmware rev.", "固件版本"), ("software_rev", "Software rev.", "软件版本")),
          _parts("components", lambda c: (c.index, c.klass, c.name, c.description, c.maker, c.model, c.serial,
                                          c.hardware_rev, c.firmware_rev, c.software_rev))),
    Table("changes", "Changes", "变更记录", _cols(ASSET, ("at", "Time", "时间"), ("category", "Category", "类别"),
                                              ("action", "Action", "操作"), ("path", "Field", "字段"),
                                              ("before", "Before", "变更前"), ("after", "After", "变更后")),
          _change_rows),
    Table("conflicts", "Conflicts", "登记冲突", _cols(ASSET, ("field", "Field", "字段"),
                                                  ("typed", "Typed in (kept)", "登记值 (采用)"),
                                                  ("captured", "Captured", "采集值")),
          _conflict_rows),
)


def table_rows(table: Table, entries: Sequence[ArchiveEntry], changes: Mapping[str, Sequence[Change]],
               today: date, lang: str) -> Iterable[Row]:
    """The rows of ``table``; words the table itself chooses (warranty status) in ``lang``."""
    for row in table.rows(entries, changes, today):
        if table.id == "devices":
            row = (*row[:10], WORDS[lang][row[10]], *row[11:-1], WORDS[lang][row[-1]])
        yield row


def cell_text(value: Any) -> str:
    """A cell as text (CSV, terminal): dates ISO, times to the second, None empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)

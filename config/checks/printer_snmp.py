"""Settings of the printer_snmp family: Network printers over SNMP (Printer-MIB, HOST-RESOURCES-MIB)."""

from __future__ import annotations

from config.checks.base import CheckParams


class PrinterSnmpParams(CheckParams):
    """Settings under ``checks.printer_snmp``."""

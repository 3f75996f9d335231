"""Settings of the printers family: Printers this computer uses: local queues over CUPS/IPP or the Windows spooler (item 5)."""

from __future__ import annotations

from config.checks.base import CheckParams


class PrintersParams(CheckParams):
    """Settings under ``checks.printers``."""

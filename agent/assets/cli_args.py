"""The `patrol assets` arguments, apart from agent/assets/cli.py so that building the
`patrol` parser imports neither SQLAlchemy nor openpyxl."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("assets", help="the asset archive (设备档案): captured hardware and software, "
                                             "typed-in fields, change history, exports")
    sub = p.add_subparsers(dest="assets_command", metavar="ACTION", required=True)

    ls = sub.add_parser("list", help="every asset of the site: inventory fields joined with the latest capture")
    ls.add_argument("--site", help="site name (default: agent.site)")
    ls.add_argument("--json", action="store_true", help="print the assets as JSON")
    ls.add_argument("--wide", action="store_true", help="print table cells in full on one line")

    show = sub.add_parser("show", help="one asset: typed-in fields, conflicts, hardware, software")
    show.add_argument("asset", help="the asset's name (its inventory target name)")
    show.add_argument("--site", help="site name (default: agent.site)")
    show.add_argument("--software", action="store_true", help="list every installed program, not only the count")
    show.add_argument("--json", action="store_true", help="print the asset and its snapshot as JSON")
    show.add_argument("--wide", action="store_true", help="print table cells in full on one line")

    h = sub.add_parser("history", help="one asset's changes, oldest first: time, field, before and after")
    h.add_argument("asset", help="the asset's name")
    h.add_argument("--site", help="site name (default: agent.site)")
    h.add_argument("--since", help="only changes from this day on (YYYY-MM-DD)")
    h.add_argument("--json", action="store_true", help="print the changes as JSON")
    h.add_argument("--wide", action="store_true", help="print table cells in full on one line")

    e = sub.add_parser("export", help="write the archive as GLPI inventory JSON, CSV or XLSX")
    e.add_argument("--format", required=True, choices=("glpi", "csv", "xlsx"),
                   help="glpi: one GLPI native inventory file per asset (validated against GLPI's schema); "
                        "csv: one file per table; xlsx: one workbook, one sheet per table")
    e.add_argument("--out", type=Path, required=True,
                   help="folder (glpi, csv) or file (xlsx) to write; existing files of the same names are replaced")
    e.add_argument("--lang", choices=("zh-CN", "en"), help="header language of csv/xlsx (default: the first of "
                                                            "reports.languages)")
    e.add_argument("--site", help="site name (default: agent.site)")
    e.add_argument("--since", help="csv/xlsx: changes from this day on in the changes table (default: all)")

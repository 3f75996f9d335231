"""Installed packages for the archive: dpkg or rpm, with publisher and install date.

dpkg (``DPKG`` below; recorded on this project's Debian 12 test machine)::

    bash	5.2.15-2+b7	Matthias Klose <doko@debian.org>	ii

dpkg keeps no install date: the mtime of /var/lib/dpkg/info/<package>.list (written when
the package was unpacked) stands for it, as GLPI's agent does. The publisher is the
Maintainer field without the e-mail address.

rpm (``RPM``; the query format of GLPI's agent; a CONSTRUCTED line of that form)::

    bash	x86_64	5.1.8-9.el9	1700000000	7738634	Rocky Enterprise Software Foundation	The GNU Bourne Again shell	Unspecified
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timezone

from agent.assets.capture.text import clean
from agent.assets.model import Software
from collectors.base import CommandOutput

DPKG = ("dpkg-query", "-W", "-f=${binary:Package}\t${Version}\t${Maintainer}\t${db:Status-Abbrev}\n")
RPM = ("rpm", "-qa", "--queryformat",
       "%{NAME}\t%{ARCH}\t%{VERSION}-%{RELEASE}\t%{INSTALLTIME}\t%{SIZE}\t%{VENDOR}\t%{SUMMARY}\t%{GROUP}\n")
DPKG_INFO = "/var/lib/dpkg/info"
_INSTALLED = frozenset("iWt")  # dpkg-query(1) current-state letters of an installed package


def _day(epoch: float | None) -> date | None:
    if epoch is None or epoch <= 0:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).date()


def _publisher(maintainer: str) -> str | None:
    return clean(re.sub(r"\s*<[^>]*>\s*", " ", maintainer))


def parse_dpkg(out: CommandOutput, list_mtimes: Mapping[str, float]) -> tuple[Software, ...]:
    items = []
    for number, line in enumerate(out.stdout.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 4 or not fields[0]:
            raise ValueError(f"dpkg-query line {number} is not 'package<TAB>version<TAB>maintainer<TAB>status': "
                             f"{line[:80]!r}")
        name, version, maintainer, status = fields
        if status[1:2] not in _INSTALLED:
            continue
        items.append(Software(name=name, version=clean(version), publisher=_publisher(maintainer),
                              installed_on=_day(list_mtimes.get(name)), source="dpkg"))
    return tuple(items)


def parse_rpm(out: CommandOutput) -> tuple[Software, ...]:
    items = []
    for number, line in enumerate(out.stdout.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 6 or not fields[0]:
            raise ValueError(f"rpm line {number} has {len(fields)} fields, expected 8: {line[:80]!r}")
        name, _arch, version, installed, _size, vendor = fields[:6]
        items.append(Software(name=name, version=clean(version), publisher=clean(vendor.replace("(none)", "")),
                              installed_on=_day(float(installed)) if installed.isdigit() else None, source="rpm"))
    return tuple(items)

"""Installed packages on Linux: dpkg where it exists, else rpm.

dpkg sample (``dpkg-query -W -f='${Package}\\t${Version}\\t${db:Status-Abbrev}\\n'``)::

    libreoffice-writer	4:7.4.7-1+deb12u5	ii
    firefox-esr	115.12.0esr-1~deb12u1	ii
    oldtool	1.2-3	rc

The status is desired/current/error flags (dpkg-query(1)): the second letter ``i`` means
installed; ``c`` (config files only) is not installed; ``U``, ``F``, ``H`` are broken
installs; ``W``/``t`` wait for triggers but are installed.

rpm sample (``rpm -qa --qf '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\tii\\n'``)::

    libreoffice-writer	1:7.5.9.2-5.el9	ii
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.base import CollectorIO, CommandOutput, FetchError, ParseError
from collectors.messages import Messages
from collectors.software import InstalledPackage, InstalledSoftware

DPKG = ("dpkg-query", "-W", "-f=${Package}\t${Version}\t${db:Status-Abbrev}\n")
RPM = ("rpm", "-qa", "--qf", "%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\tii\n")
_INSTALLED, _BROKEN = frozenset("iWt"), frozenset("UFH")


@dataclass(frozen=True, slots=True)
class PackageList:
    manager: str  # "dpkg" | "rpm"
    output: CommandOutput


def fetch(io: CollectorIO, timeout: float) -> PackageList:
    for manager, argv in (("dpkg", DPKG), ("rpm", RPM)):
        try:
            return PackageList(manager, io.run(argv, timeout=timeout))
        except FileNotFoundError:
            continue
        except TimeoutError:
            raise FetchError(f"{argv[0]} did not finish within {timeout:g} s") from None
    raise FetchError("neither dpkg-query nor rpm is installed: cannot list packages")


def parse(raw: PackageList) -> InstalledSoftware:
    out = raw.output
    if out.returncode != 0:
        err = " ".join(out.stderr.decode("utf-8", "replace").split())[:200]
        raise ParseError(f"{out.argv[0]} failed (exit code {out.returncode}): {err or 'no message'}")
    packages = []
    for number, line in enumerate(out.stdout.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not fields[0]:
            raise ParseError(f"{out.argv[0]} line {number} is not 'name<TAB>version<TAB>status': {line[:80]!r}")
        name, version, status = fields
        current = status[1:2]
        if current in _INSTALLED:
            packages.append(InstalledPackage(name, version, raw.manager))
        elif current in _BROKEN:
            packages.append(InstalledPackage(name, version, raw.manager, broken=MSG.say("software.linux.broken", manager=raw.manager,
                                                                                 status=status.strip())))
    scheme = "debian" if raw.manager == "dpkg" else "rpm"
    return InstalledSoftware(platform="linux", source=raw.manager, version_scheme=scheme, packages=tuple(packages))


# Patrol's words for a broken install (translated in reports); the manager and its status
# letters are data.
MSG = Messages({
    "software.linux.broken": "{manager} status {status}",
})

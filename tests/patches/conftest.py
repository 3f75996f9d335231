"""A prepared apt root: a dpkg status file and two flat file: repositories, one a security suite.

Installed: patrol-foo 1.0, patrol-bar 1.0, patrol-baz 1.0.
Repository "patrol" (Label Patrol): patrol-foo 1.1 (a regular update), patrol-baz 1.0 (current).
Repository "patrol-security" (Label Patrol-Security): patrol-bar 1.0+sec1 (a security update).
`apt-get update` runs once here, against the file: URIs only (the test set-up, not the check).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.proc import require_program

STATUS_ENTRY = """Package: {name}
Status: install ok installed
Priority: optional
Section: misc
Maintainer: Patrol Tests <tests@example.invalid>
Architecture: all
Version: {version}
Description: Patrol test package {name}

"""
PACKAGES_ENTRY = """Package: {name}
Version: {version}
Architecture: all
Maintainer: Patrol Tests <tests@example.invalid>
Filename: ./{name}_{version}_all.deb
Size: 1000
SHA256: {zero}
Description: Patrol test package {name}

"""
RELEASE = "Origin: Patrol\nLabel: {label}\nSuite: {suite}\nCodename: {suite}\nDate: Sun, 22 Nov 2026 00:00:00 UTC\n"


@dataclass(frozen=True)
class AptRoot:
    root: Path
    repos: Path


def _write_repo(folder: Path, label: str, suite: str, packages: list[tuple[str, str]]) -> None:
    folder.mkdir(parents=True)
    (folder / "Packages").write_text("".join(PACKAGES_ENTRY.format(name=n, version=v, zero="0" * 64) for n, v in packages))
    (folder / "Release").write_text(RELEASE.format(label=label, suite=suite))


@pytest.fixture(scope="session")
def apt_root(tmp_path_factory) -> AptRoot:
    apt_get = require_program("apt-get", "apt")
    base = tmp_path_factory.mktemp("aptroot")
    root, repos = base / "root", base / "repos"
    for sub in ("etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/trusted.gpg.d", "etc/apt/sources.list.d",
                "var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "var/lib/dpkg", "var/log/apt", "var/run"):
        (root / sub).mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text("".join(
        STATUS_ENTRY.format(name=n, version="1.0") for n in ("patrol-foo", "patrol-bar", "patrol-baz")))
    _write_repo(repos / "main", "Patrol", "patrol", [("patrol-foo", "1.1"), ("patrol-baz", "1.0")])
    _write_repo(repos / "security", "Patrol-Security", "patrol-security", [("patrol-bar", "1.0+sec1")])
    (root / "etc/apt/sources.list").write_text(
        f"deb [trusted=yes] file:{repos / 'main'} ./\ndeb [trusted=yes] file:{repos / 'security'} ./\n")
    done = subprocess.run([apt_get, "-o", f"Dir={root}", "-o", f"Dir::State::status={root}/var/lib/dpkg/status",
                           "-o", "Debug::NoLocking=1", "update"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return AptRoot(root, repos)

"""A private cupsd for the printer tests (PEERS.md recipe): own config, temp dirs, loopback port."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.proc import ServerProcess, free_port, require_program, tcp_listening, wait_until

CUPSD_CONF = """\
Listen 127.0.0.1:{port}
Browsing No
DefaultAuthType None
LogLevel warn
MaxJobTime 0
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""

CUPS_FILES_CONF = """\
User lp
Group lp
FileDevice Yes
ServerRoot {root}/etc
CacheDir {root}/cache
StateDir {root}/state
TempDir {root}/tmp
RequestRoot {root}/spool
ServerBin /usr/lib/cups
DataDir /usr/share/cups
AccessLog {root}/log/access_log
ErrorLog {root}/log/error_log
PageLog {root}/log/page_log
Printcap {root}/printcap
"""


@dataclass
class Cups:
    port: int
    root: Path
    process: ServerProcess

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "CUPS_SERVER": self.server, "LC_ALL": "C"}

    def admin(self, *argv: str) -> str:
        """Run a CUPS client program (lpadmin, cupsdisable, lp, ...) against this server."""
        done = subprocess.run(list(argv), env=self.env(), capture_output=True, text=True, timeout=20)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout


def start_cups(root: Path) -> Cups:
    cupsd = require_program("/usr/sbin/cupsd", "cups")
    for program, package in (("lpadmin", "cups-client"), ("lp", "cups-client"), ("cupsdisable", "cups-client"),
                             ("cupsreject", "cups-client")):
        require_program(program, package)
    port = free_port()
    os.chmod(root, 0o755)  # the lp user must reach the spool files below it
    for sub in ("etc", "cache", "state", "tmp", "spool", "log"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(root / sub, 0o777)  # cupsd drops to lp for filters and backends
    (root / "etc" / "cupsd.conf").write_text(CUPSD_CONF.format(port=port))
    (root / "etc" / "cups-files.conf").write_text(CUPS_FILES_CONF.format(root=root))
    proc = ServerProcess([cupsd, "-f", "-c", str(root / "etc" / "cupsd.conf"), "-s", str(root / "etc" / "cups-files.conf")],
                         log_path=root / "log" / "cupsd.out")
    wait_until(lambda: tcp_listening(port), 15, f"cupsd on 127.0.0.1:{port}", proc)
    return Cups(port, root, proc)

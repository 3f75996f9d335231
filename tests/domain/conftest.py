"""A real Samba AD DC for the domain tests, in a network namespace of our own.

Provisioned once per session into a temp folder (~5 s), with a service account, a
disabled account and a share. The DC needs ports 53/88/389/445, so it runs in a network
namespace this fixture creates (loopback only, no links out) with a private /run, and the
check runs in the same namespace through tests/domain/ns_check.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.proc import ServerProcess, require_program, wait_until

REALM = "EX.TEST"
DOMAIN = "EX"
# Test passwords: the leak tests grep every result and log line for them.
SVC_USER, SVC_PASSWORD = "svc-patrol", "Svc!Patrol-Pw-9731"
DISABLED_USER, DISABLED_PASSWORD = "old-svc", "Old!Svc-Pw-4410"
ADMIN_PASSWORD = "Adm1n!Patrol-Test"
SHARE = "data"
REPO = Path(__file__).resolve().parents[2]
NS_CHECK = Path(__file__).with_name("ns_check.py")
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


@dataclass(frozen=True)
class DomainController:
    netns: str
    root: Path
    proc: ServerProcess

    def run_check(self, cases: dict[str, dict], env: dict[str, str] | None = None,
                  timeout: float = 120, *, dc_mounts: bool = False) -> tuple[dict, str]:
        """Run the check for each case inside the namespace; (results by case, stderr log).

        ``dc_mounts`` also enters the DC's mount namespace, where /run is the DC's: there
        ``wbinfo`` reaches the DC's own winbindd, a real winbind for the membership source.
        """
        cases_file = self.root / f"cases-{os.getpid()}-{len(cases)}-{abs(hash(json.dumps(cases, sort_keys=True)))}.json"
        cases_file.write_text(json.dumps(cases))
        full_env = {**os.environ, "PATROL_TEST_SVC_PW": SVC_PASSWORD, "PATROL_TEST_OLD_PW": DISABLED_PASSWORD,
                    "PATROL_TEST_WRONG_PW": SVC_PASSWORD + "-wrong", **(env or {})}
        # Absolute paths: a case may run with a PATH that hides the tools under test.
        enter = ([shutil.which("nsenter"), "-t", str(self.proc.pid), "-m", "-n"] if dc_mounts
                 else [shutil.which("ip"), "netns", "exec", self.netns])
        proc = subprocess.run([*enter, sys.executable, str(NS_CHECK), str(cases_file)],
                              capture_output=True, text=True, timeout=timeout, env=full_env, cwd=REPO)
        if proc.returncode != 0:
            raise AssertionError(f"ns_check failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return json.loads(proc.stdout), proc.stderr


def _samba_tool(*args: str, conf: Path) -> None:
    subprocess.run(["samba-tool", *args, "-s", str(conf)], check=True, capture_output=True, timeout=60)


def _listening_in(pid: int, ports: set[int]) -> bool:
    """Whether the process's network namespace has LISTEN sockets on all ``ports``
    (/proc/PID/net/tcp shows that process's namespace, not ours)."""
    found: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            return False
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":
                found.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports <= found


def provision(root: Path) -> Path:
    empty = root / "empty.conf"
    empty.write_text("[global]\n")  # not the host's /etc/samba/smb.conf with its shares
    subprocess.run(["samba-tool", "domain", "provision", "-s", str(empty), f"--targetdir={root}", f"--realm={REALM}",
                    f"--domain={DOMAIN}", "--server-role=dc", "--dns-backend=SAMBA_INTERNAL",
                    f"--adminpass={ADMIN_PASSWORD}", "--host-ip=127.0.0.1", "--use-rfc2307"],
                   check=True, capture_output=True, timeout=120)
    conf = root / "etc" / "smb.conf"
    (root / "run" / "samba").mkdir(parents=True)
    # Samba serves the share as the domain user's mapped uid (not root): it must be able
    # to reach the folder through the temp dir, which mkdtemp made 0700.
    root.chmod(0o711)
    share_dir = root / "share"
    share_dir.mkdir(mode=0o755)
    (share_dir / "readme.txt").write_text("hello from the test share\n")
    extra = (f"\tldap server require strong auth = no\n\tpid directory = {root}/run\n\tlog file = {root}/log.%m\n"
             "\tinterfaces = lo\n\tbind interfaces only = yes\n\tdisable netbios = yes\n"
             "\tdns forwarder = 127.0.0.1\n")
    text = conf.read_text().replace("[global]\n", "[global]\n" + extra, 1)
    conf.write_text(text + f"\n[{SHARE}]\n\tpath = {share_dir}\n\tread only = yes\n")
    _samba_tool("user", "create", SVC_USER, SVC_PASSWORD, "-H", f"{root}/private/sam.ldb", conf=conf)
    _samba_tool("user", "create", DISABLED_USER, DISABLED_PASSWORD, "-H", f"{root}/private/sam.ldb", conf=conf)
    _samba_tool("user", "disable", DISABLED_USER, "-H", f"{root}/private/sam.ldb", conf=conf)
    return conf


@pytest.fixture(scope="session")
def domain_controller():
    for program, package in [("samba", "samba-ad-dc"), ("samba-tool", "samba-common-bin"), ("kinit", "krb5-user"),
                             ("ip", "iproute2"), ("unshare", "util-linux"), ("nsenter", "util-linux"),
                             ("wbinfo", "winbind")]:
        require_program(program, package)
    root = Path(tempfile.mkdtemp(prefix="patrol-samba-"))
    # Unique per fixture instance, not per process: tests/console imports this fixture, which
    # makes a second session-scoped instance beside this module's, alive at the same time.
    netns = f"patrol-dom-{os.getpid()}-{root.name.rsplit('-', 1)[-1]}"
    conf = provision(root)
    subprocess.run(["ip", "netns", "add", netns], check=True, timeout=10)
    proc = None
    try:
        subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"], check=True, timeout=10)
        # ip netns exec, unshare and sh each exec the next: the PID we hold becomes samba's.
        proc = ServerProcess(["ip", "netns", "exec", netns, "unshare", "--mount", "--propagation", "private", "sh", "-c",
                              f"mount --bind {root}/run /run && exec samba -i -s {conf}"], log_path=root / "samba.out")
        wait_until(lambda: _listening_in(proc.pid, {88, 389, 445}), 60, "samba AD DC", proc)
        yield DomainController(netns, root, proc)
    finally:
        if proc is not None:
            _stop(proc)
        _wait_namespace_empty(netns)
        subprocess.run(["ip", "netns", "delete", netns], timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _namespace_pids(netns: str) -> list[int]:
    out = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True, timeout=10).stdout
    return [int(pid) for pid in out.split()]


def _wait_namespace_empty(netns: str, timeout: float = 10) -> None:
    """Samba's helpers outlive the master by a moment and would recreate files in the temp
    dir after it is removed; every process in this namespace is one the fixture started."""
    try:
        wait_until(lambda: not _namespace_pids(netns), timeout, f"processes in {netns} to exit")
    except TimeoutError:
        for pid in _namespace_pids(netns):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _stop(proc: ServerProcess) -> None:
    """Stop samba and its workers: they form the process group our child leads.

    ServerProcess.stop compares /proc/PID/cmdline with the one seen at start, which the
    exec chain changed; the PID is still safely ours: it is our unreaped child.
    """
    if proc.popen.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.popen.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.popen.wait(5)
    proc.stop()  # closes the log file


def faketime_env(offset: str) -> dict[str, str]:
    """Environment that shifts the check's clock (and kinit's) by ``offset`` (e.g. "+10m")."""
    require_program(FAKETIME_LIB, "faketime")
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": offset, "FAKETIME_DONT_RESET": "1"}

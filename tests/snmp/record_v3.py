"""Record the SNMPv3 fixtures in data/v3/ from a real net-snmp snmpd (test_usm.py reads them).

    .venv/bin/python -m tests.snmp.record_v3

- ``netsnmp-usmUser.conf``: the usmUser lines net-snmp writes to its persistent
  snmpd.conf when it stops: every user's auth and privacy keys as net-snmp localised
  (and, for AES-192/256, extended) them for its engine ID. Key-derivation vectors for
  every combination, computed by another implementation than ours.
- ``replies.txt``: for some users, the Response snmpd sent to a GET of sysName.0
  (one line each: user, auth, priv, engine ID, msgID, request-id, reply datagram in hex).

The passwords are the test ones in conftest.py (V3_AUTH, V3_PRIV).
"""

from __future__ import annotations

import random
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from collectors.snmp import ber, usm
from tests.snmp.conftest import V3_AUTH, V3_PRIV, start_snmpd, v3_user_name
from tests.support.proc import free_port

OUT = Path(__file__).parent / "data" / "v3"
SYS_NAME = ber.encode_oid("1.3.6.1.2.1.1.5.0")
RECORDED = [("MD5", None), ("SHA", "AES"), ("MD5", "DES"), ("SHA256", "AES192"), ("SHA512", "AES256C"),
            ("SHA224", "AES192C"), ("SHA384", "AES256")]


def exchange(sock: socket.socket, datagram: bytes) -> bytes:
    sock.send(datagram)
    return sock.recv(65535)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    version = subprocess.run(["/usr/sbin/snmpd", "-v"], capture_output=True, text=True).stdout
    version = next(line.split(":", 1)[1].strip() for line in version.splitlines() if "version" in line)
    with tempfile.TemporaryDirectory() as tmp:
        root, port = Path(tmp), free_port("udp")
        proc = start_snmpd(root / "agent", port, root / "persist")
        lines = [f"# Responses of net-snmp {version} snmpd to GET sysName.0 (recorded by tests/snmp/record_v3.py)",
                 "# user auth priv engine_id msg_id request_id reply_hex"]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(2)
                sock.connect(("127.0.0.1", port))
                report = usm.parse_message(exchange(sock, usm.discovery_request(1, 2)))
                for auth, priv in RECORDED:
                    name = v3_user_name(auth, priv)
                    user = usm.User(name.encode(), usm.AUTH[auth], V3_AUTH.encode(),
                                    usm.PRIV[priv] if priv else None, V3_PRIV.encode() if priv else b"")
                    msg_id, rid = random.randrange(1, 2**31 - 1), random.randrange(1, 2**31 - 1)
                    request = usm.request_message(user, msg_id=msg_id, engine_id=report.engine_id,
                                                  boots=report.boots, time=report.time, context=b"",
                                                  pdu=ber.encode_pdu(ber.GET, rid, [SYS_NAME]),
                                                  salt_counter=random.getrandbits(63))
                    reply = exchange(sock, request)
                    lines.append(f"{name} {auth} {priv or '-'} {report.engine_id.hex()} {msg_id} {rid} {reply.hex()}")
        finally:
            proc.stop()  # SIGTERM: snmpd writes its persistent file
        time.sleep(0.2)
        persisted = (root / "persist" / "snmpd.conf").read_text()
    users = [line for line in persisted.splitlines() if line.startswith("usmUser ")]
    header = (f"# usmUser lines written by net-snmp {version} snmpd to its persistent snmpd.conf "
              "(tests/snmp/record_v3.py):\n# engine ID, user, auth protocol OID, localised auth key, "
              f"priv protocol OID, localised privacy key; passwords {V3_AUTH!r} / {V3_PRIV!r}\n")
    (OUT / "netsnmp-usmUser.conf").write_text(header + "\n".join(users) + "\n")
    (OUT / "replies.txt").write_text("\n".join(lines) + "\n")
    print(f"{len(users)} users, {len(lines) - 2} replies -> {OUT}")


if __name__ == "__main__":
    main()

"""Three `patrol serve` replicas on one PostgreSQL, polling switches of the replay responder:
kill -9 of one, then a 30 s cut of another's database connection.

Real processes throughout: a throw-away PostgreSQL, the responder serving a real Catalyst
3560 recording, three replicas on loopback (the third reaches the database through a TCP
proxy the test cuts), and a fake agent pushing over HTTPS to whichever replica it likes.
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.scale.replicas import RECORDING, fresh_database, kill9_with_workers, start_replicas, write_inventory
from tests.support import replay_responder
from tests.support.collector import result
from tests.support.proc import wait_until
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.slow
INTERVAL_S = 20
LEASE_S = 10
HEALTHY, FAILING = 21, 3
# a worker is a Python process start (seconds on this loaded machine) plus a poll of up to 2 s
SLACK_S = 15


def now() -> datetime:
    return datetime.now(timezone.utc)


def switch_runs(db: sa.Engine) -> dict[str, list[datetime]]:
    out: dict[str, list[datetime]] = {}
    with db.connect() as conn:
        for target, started in conn.execute(sa.text(
                "SELECT target, started_at FROM runs WHERE collector = 'switch' ORDER BY target, started_at")):
            out.setdefault(target, []).append(started.replace(tzinfo=timezone.utc))
    return out


def leases(db: sa.Engine) -> dict[str, sa.Row]:
    with db.connect() as conn:
        # The switch family's leases: a device also has a daily 'assets' lease (asset capture),
        # which one replica takes and nobody renews within the test.
        return {row.target: row for row in conn.execute(sa.text("SELECT * FROM device_leases WHERE family = 'switch'"))}


def test_replicas_share_polls_survive_kill9_and_a_database_cut(tmp_path, postgres_url):
    url = fresh_database(postgres_url)
    db = sa.create_engine(url)
    pg = urlsplit(url)
    responder, port = replay_responder.start([RECORDING], tmp_path / "responder.log")
    names = write_inventory(tmp_path / "inventory.yaml", port, HEALTHY, FAILING)
    replicas = []
    try:
        with contextlib.ExitStack() as stack:
            # each replica reaches the database through a proxy of its own, which the test can cut
            proxies = [stack.enter_context(TcpProxy(pg.hostname, pg.port)) for _ in range(3)]
            urls = [url.replace(f":{pg.port}/", f":{proxy.port}/") for proxy in proxies]
            replicas = start_replicas(tmp_path, ["r-a", "r-b", "r-c"], urls, tmp_path / "inventory.yaml",
                                      interval_s=INTERVAL_S, lease_s=LEASE_S, concurrency=4)
            by_name = dict(zip(["r-a", "r-b", "r-c"], zip(replicas, proxies)))

            # --- every device polled, each once per interval -------------------------------
            wait_until(lambda: all(len(switch_runs(db).get(n, ())) >= 2 for n in names), 4 * INTERVAL_S + 60,
                       "two polls of every device")
            # each live replica polls its share (agent/serve/leases.py Share; exact split: test_leases.py)
            polled_by = [row.last_owner for row in leases(db).values() if row.last_owner]
            assert set(polled_by) == {"r-a", "r-b", "r-c"}, polled_by
            agent = replicas[0].enroll("pc-1")
            agent.collector = replicas[1]  # agents push to any replica
            assert agent.push([result("system.disk", "/", "OK", "before the kill")]).status_code == 200

            # --- kill -9 of the replica that holds claims now (mid-poll) -------------------------
            def holder() -> str | None:
                owners = [row.owner for row in leases(db).values() if row.owner]
                return max(set(owners), key=owners.count) if owners else None
            wait_until(lambda: holder() is not None, 2 * INTERVAL_S + 30, "a replica holding claims")
            victim_name = holder()
            assert victim_name is not None
            held = {t for t, row in leases(db).items() if row.owner == victim_name}
            kill9_with_workers(by_name[victim_name][0])
            killed_at = now()
            survivors = [n for n in by_name if n != victim_name]

            bound = killed_at + timedelta(seconds=INTERVAL_S + LEASE_S + SLACK_S)
            wait_until(lambda: all(any(t > killed_at for t in switch_runs(db).get(n, ())) for n in names),
                       INTERVAL_S + LEASE_S + SLACK_S + 30, "every device polled after the kill")
            runs = switch_runs(db)
            first_after = {n: min(t for t in runs[n] if t > killed_at) for n in names}
            late = {n: (t - killed_at).total_seconds() for n, t in first_after.items() if t > bound}
            assert not late, f"polled later than interval + lease after the kill (s): {late}"
            assert held, "the victim held claims when it was killed"
            wait_until(lambda: all(leases(db)[n].last_owner in survivors for n in held),
                       INTERVAL_S + LEASE_S + SLACK_S, "the victim's claimed devices polled by the others")

            agent.collector = by_name[survivors[0]][0]
            assert agent.push([result("system.disk", "/", "OK", "after the kill")]).status_code == 200

            # --- a 30 s cut of a survivor's database connection ---------------------------------
            cut_name = survivors[-1]
            cut_replica, cut_proxy = by_name[cut_name]
            log_text = lambda: cut_replica.log_path.read_text(errors="replace")  # noqa: E731
            cut_proxy.cut()
            cut_at = time.monotonic()
            time.sleep(30)
            assert cut_replica.process is not None and cut_replica.process.popen.poll() is None, \
                "the replica died while its database was cut:\n" + cut_replica.process.log_tail()
            cut_proxy.restore()
            restored_at = now()
            mark = len(log_text())
            assert time.monotonic() - cut_at >= 30
            agent.collector = cut_replica
            wait_until(lambda: agent.push([result("system.disk", "/", "OK", "after the cut")]).status_code == 200,
                       30, "a push to the replica whose database came back")
            # its next device worker claims again (the line is logged only after a claim round that reached the database)
            wait_until(lambda: f"claimed and polled by replica {cut_name}" in log_text()[mark:], INTERVAL_S + 30,
                       f"{cut_name} claiming devices again after the cut", cut_replica.process)
            wait_until(lambda: all(max(switch_runs(db)[n]) > restored_at for n in names), INTERVAL_S + 30,
                       "every device polled after the cut")

            # --- no device polled twice in an interval, no lost result, no duplicate ticket ------
            runs = switch_runs(db)
            for n in names:
                gaps = [(b - a).total_seconds() for a, b in zip(runs[n], runs[n][1:])]
                # claimed once due, never before, and due again at least half an interval after a claim
                # (agent/serve/leases.py next_due); the 2 s: a run starts after its claim, in a queue of 4
                assert min(gaps) >= INTERVAL_S / 2 - 2, (n, gaps)
            for n, row in leases(db).items():
                if row.last_polled_at is not None:  # a completed claim has its run stored
                    polled = row.last_polled_at.replace(tzinfo=timezone.utc)
                    assert any(t >= polled - timedelta(seconds=1) for t in runs[n]), (n, polled, runs[n][-3:])
            with db.connect() as conn:
                summaries = set(conn.execute(sa.text(
                    "SELECT summary FROM results WHERE target = :t AND \"check\" = 'system.disk'"), {"t": agent.target}
                ).scalars())
                tickets = conn.execute(sa.text(
                    "SELECT target, count(*) FROM tickets GROUP BY target, fingerprint")).all()
                backend_tickets = list(conn.execute(sa.text(
                    "SELECT count(*) FROM builtin_tickets GROUP BY fingerprint")).scalars())
                owners = set(conn.execute(sa.text("SELECT DISTINCT last_owner FROM device_leases WHERE family = 'switch'")).scalars())
            assert {"before the kill", "after the kill", "after the cut"} <= summaries
            down = {n for n in names if n.startswith("down")}
            assert down <= {t for t, _ in tickets}, tickets  # each unreachable switch has its ticket
            assert all(count == 1 for _, count in tickets), tickets  # and only one, whoever polled it
            assert backend_tickets and all(count == 1 for count in backend_tickets), backend_tickets
            assert owners <= set(survivors)
            # The poll state travels with the device (device_leases.poll_state): every poll of a healthy
            # switch after its first has port rates, whichever replica made the poll before it.
            with db.connect() as conn:
                rated = conn.execute(sa.text(
                    "SELECT r.target, bool_or(CAST(res.metrics AS TEXT) LIKE '%port_in_bits_per_second%') "
                    "FROM runs r JOIN results res ON res.run_id = r.id WHERE r.collector = 'switch' "
                    "GROUP BY r.id, r.target, r.started_at ORDER BY r.target, r.started_at")).all()
            by_device: dict[str, list[bool]] = {}
            for target, has_rates in rated:
                by_device.setdefault(target, []).append(bool(has_rates))
            unrated = {n: flags for n, flags in by_device.items() if not n.startswith("down") and not all(flags[1:])}
            assert not unrated, f"polls without rates after the first (state lost in a hand-over): {unrated}"
    finally:
        for replica in replicas:
            replica.stop()
        responder.stop()
        db.dispose()

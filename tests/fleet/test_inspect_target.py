"""`patrol inspect --target X` says why nothing ran: another host's agent, or no such target."""

from __future__ import annotations

import pytest

from agent.cli import main

INVENTORY = """\
hosts:
  - {name: pc-0412, address: 10.0.4.12, os: windows}
  - {name: pc-0413, address: 10.0.4.13, os: windows}
  - {name: srv-files, address: 10.0.0.5, os: linux}
"""


@pytest.fixture
def config(tmp_path):
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    path = tmp_path / "patrol.yaml"
    path.write_text("agent: {name: this-pc}\npaths: {inventory: inventory.yaml}\n")
    return path


@pytest.mark.parametrize("target, expected", [
    ("pc-0412", "patrol: pc-0412 is a host of the inventory; its checks run on its own agent: enrol it with `patrol enroll`"),
    ("pc-0421", "patrol: no target named pc-0421; did you mean pc-0413, pc-0412?"),
    ("zzz", "patrol: no target named zzz; the inventory has this-pc, pc-0412, pc-0413, srv-files"),
    ("bad\x1b[2Jname", "patrol: no target named bad?[2Jname"),
], ids=["other-host", "typo", "unknown", "terminal-escape"])
def test_inspect_other_or_unknown_target(config, capsys, target, expected):
    assert main(["-c", str(config), "inspect", "--target", target, "--no-tickets"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected), err
    assert "nothing to inspect" not in err


def test_inspect_on_an_enrolled_agent_leaves_tickets_to_the_collector(tmp_path, capsys):
    import json
    import sqlite3

    from config.fleet_state import FleetPaths

    config = tmp_path / "patrol.yaml"
    config.write_text("agent: {name: pc-1}\npaths: {state_dir: state}\n"
                      "checks: {system: {memory_used_percent: {warn: 0.01, crit: null}}}\n")
    paths = FleetPaths.under(tmp_path / "state")
    paths.root.mkdir(parents=True)
    paths.enrolment.write_text(json.dumps({"url": "https://127.0.0.1:9", "agent_id": "a" * 32, "site": "default",
                                           "target": "pc-1", "credential": "pac_x"}))
    assert main(["-c", str(config), "inspect", "--only", "system", "--json", "--out", str(tmp_path / "out")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any(r["check"] == "system.memory" and r["state"].upper() == "WARN" for r in data["results"])
    assert data["tickets"] is None
    db = sqlite3.connect(tmp_path / "state" / "patrol.sqlite")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "findings" in tables and db.execute("SELECT count(*) FROM findings").fetchone()[0] == 0

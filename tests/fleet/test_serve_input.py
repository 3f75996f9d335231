"""Bad input against a real `patrol serve`: every refusal is a clear 4xx naming what was wrong,
and nothing is stored that should not be (issue #12, "Bad input and faults")."""

from __future__ import annotations

import json
import zlib
from datetime import timedelta

import requests

from tests.support.collector import result, run, utcnow
from tests.support.proc import wait_until


def stored_results(collector, target: str) -> int:
    return collector.count("SELECT COUNT(*) FROM results WHERE target = ? AND \"check\" NOT LIKE 'agent.%'", target)


def test_a_pushed_batch_is_stored_and_acknowledged(site_collector):
    agent = site_collector.enroll("pc-input-ok")
    answer = agent.push([result("system.disk", "C:", "WARN", "disk C: 91% full"), result("system.memory")])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"batch_id": answer.json()["batch_id"], "seq": 1, "stored": True, "results": 2}
    assert stored_results(site_collector, agent.target) == 2


def test_malformed_json_is_a_422_that_says_so(site_collector):
    agent = site_collector.enroll("pc-input-json")
    answer = agent.send(b'{"batch_id": "abcdefgh", "seq": 1, "runs": [')
    assert answer.status_code == 422
    assert "JSON" in answer.json()["detail"]
    assert stored_results(site_collector, agent.target) == 0


def test_a_wrong_schema_is_a_422_naming_the_field(site_collector):
    agent = site_collector.enroll("pc-input-schema")
    body = agent.batch([run("system", [result("system.disk", "C:", "BROKEN")])])
    answer = agent.send(body)
    assert answer.status_code == 422
    assert "runs.0.results.0.state" in answer.json()["detail"]

    body = agent.batch([run("system", [result("system.disk")])])
    body["seq"] = "not a number"
    answer = agent.send(body)
    assert answer.status_code == 422 and answer.json()["detail"].startswith("seq:")

    body = agent.batch([run("system", [result("system.disk")])])
    body["surprise"] = 1
    answer = agent.send(body)
    assert answer.status_code == 422 and "surprise" in answer.json()["detail"]
    assert stored_results(site_collector, agent.target) == 0


def test_a_time_with_no_utc_equivalent_is_a_422_naming_the_field(site_collector):
    """Found by the fuzz test: year 1 at +01:00 is a valid ISO time that overflows in UTC."""
    agent = site_collector.enroll("pc-input-year-one")
    body = agent.batch([run("system", [result("system.disk")])])
    body["runs"][0]["results"][0]["observed_at"] = "0001-01-01T00:00:00+01:00"
    answer = agent.send(body)
    assert answer.status_code == 422
    assert "runs.0.results.0.observed_at" in answer.json()["detail"]
    assert "out of range" in answer.json()["detail"]
    body = agent.batch([run("system", [result("system.disk")])])
    body["sent_at"] = "9999-12-31T23:59:59-01:00"
    answer = agent.send(body)
    assert answer.status_code == 422 and answer.json()["detail"].startswith("sent_at:")
    assert stored_results(site_collector, agent.target) == 0


def test_an_oversized_body_is_a_413(site_collector):
    agent = site_collector.enroll("pc-input-big")
    limit = int(site_collector.settings["serve"].get("max_body_mb", 10) * 1024 * 1024)
    big = agent.batch([run("system", [result("system.disk", summary="x" * 4000)] * 2700)])
    raw = json.dumps(big).encode()
    assert len(raw) > limit
    answer = agent.send(raw)
    assert answer.status_code == 413
    assert "serve.max_body_mb" in answer.json()["detail"]
    assert stored_results(site_collector, agent.target) == 0


def test_a_gzip_bomb_is_a_413_before_it_is_inflated_in_full(site_collector):
    agent = site_collector.enroll("pc-input-bomb")
    # 64 MB of spaces inside valid JSON: ~64 kB on the wire, six times the 10 MB limit inflated.
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = packer.compress(b'{"batch_id": "abcdefgh", "pad": "') + packer.compress(b" " * (64 * 1024 * 1024))
    bomb += packer.compress(b'"}') + packer.flush()
    assert len(bomb) < 200_000
    answer = agent.session.post(site_collector.url + "/api/v1/results", data=bomb, timeout=30,
                                headers={**agent.headers, "Content-Encoding": "gzip",
                                         "Content-Type": "application/json"})
    assert answer.status_code == 413
    assert "inflated" in answer.json()["detail"]
    # A normal gzip body on the same route is accepted.
    assert agent.push([result("system.disk")]).status_code == 200
    good = agent.send(agent.batch([run("system", [result("system.memory")])]), gzipped=True)
    assert good.status_code == 200 and good.json()["stored"] is True


def test_a_body_that_is_not_gzip_but_says_so_is_a_400(site_collector):
    agent = site_collector.enroll("pc-input-notgzip")
    answer = agent.session.post(site_collector.url + "/api/v1/results", data=b"plain text", timeout=30,
                                headers={**agent.headers, "Content-Encoding": "gzip"})
    assert answer.status_code == 400 and "gzip" in answer.json()["detail"]
    answer = agent.session.post(site_collector.url + "/api/v1/results", data=b"{}", timeout=30,
                                headers={**agent.headers, "Content-Encoding": "br"})
    assert answer.status_code == 415


def test_an_unknown_or_missing_credential_is_a_401(site_collector):
    agent = site_collector.enroll("pc-input-auth")
    body = agent.batch([run("system", [result("system.disk")])])
    for headers in ({"Authorization": "Bearer " + "0" * 43}, {"Authorization": "Basic dXNlcjpwdw=="}, {}):
        answer = requests.post(site_collector.url + "/api/v1/results", json=body, headers=headers,
                               verify=str(site_collector.ca_file), timeout=30)
        assert answer.status_code == 401, headers
        assert "enrol" in answer.json()["detail"]
    assert stored_results(site_collector, agent.target) == 0


def test_a_used_enrolment_token_is_refused(site_collector):
    token = site_collector.token()
    site_collector.enroll("pc-input-token-1", token=token)
    answer = site_collector.post("/api/v1/enroll", json={"token": token, "name": "pc-input-token-2",
                                                         "identity": {"hostname": "pc-input-token-2"}})
    assert answer.status_code == 403
    answer = site_collector.post("/api/v1/enroll", json={"token": "x" * 43, "name": "pc-input-token-3",
                                                         "identity": {"hostname": "pc-input-token-3"}})
    assert answer.status_code == 403


def test_a_revoked_agent_gets_403_and_nothing_it_sends_is_stored(site_collector):
    agent = site_collector.enroll("pc-input-revoked")
    assert agent.push([result("system.disk")]).status_code == 200
    before = stored_results(site_collector, agent.target)
    done = site_collector.patrol("agents", "revoke", agent.target)
    assert "revoked" in done.stdout
    for _ in range(3):  # retries too
        answer = agent.push([result("system.disk", state="CRIT"), result("system.memory")])
        assert answer.status_code == 403
        assert "revoked" in answer.json()["detail"]
    assert agent.session.get(site_collector.url + "/api/v1/agents/me/config", headers=agent.headers,
                             timeout=30).status_code == 403
    assert stored_results(site_collector, agent.target) == before
    assert site_collector.agent_json(agent.target)["last_seq"] == 1
    # The collector says it once, not once per retry.
    assert site_collector.log_path.read_text().count(f"revoked agent {agent.agent_id[:8]}") == 1


def test_a_replayed_batch_is_a_no_op(site_collector):
    agent = site_collector.enroll("pc-input-replay")
    body = agent.batch([run("system", [result("system.disk", "C:", "WARN"), result("system.cpu")])])
    first = agent.send(body)
    assert first.status_code == 200 and first.json()["stored"] is True
    count = stored_results(site_collector, agent.target)
    assert count == 2
    again = agent.send(body)  # the agent never heard the first answer
    assert again.status_code == 200
    assert again.json() == {"batch_id": body["batch_id"], "seq": body["seq"], "stored": False, "results": 0}
    # Another batch id with a seq already stored (an agent that lost its outbox row) is no-op too.
    same_seq = agent.send(agent.batch([run("system", [result("system.cpu")])], seq=body["seq"]))
    assert same_seq.json()["stored"] is False
    assert stored_results(site_collector, agent.target) == count
    # The next seq is stored again.
    assert agent.push([result("system.cpu")]).json()["stored"] is True
    assert stored_results(site_collector, agent.target) == count + 1


def test_an_agent_clock_an_hour_off_gives_agent_clock_warn_and_keeps_both_times(site_collector):
    agent = site_collector.enroll("pc-input-clock")
    ahead = utcnow() + timedelta(hours=1)
    answer = agent.push([result("system.disk", observed_at=ahead)], sent_at=ahead)
    assert answer.status_code == 200 and answer.json()["stored"] is True
    with site_collector.sqlite() as conn:
        state, summary = conn.execute("SELECT state, summary FROM latest WHERE target = ? AND \"check\" = "
                                      "'agent.clock'", (agent.target,)).fetchone()
        observed, received = conn.execute(
            "SELECT r.observed_at, u.received_at FROM results r JOIN runs u ON u.id = r.run_id "
            "WHERE r.target = ? AND r.\"check\" = 'system.disk'", (agent.target,)).fetchone()
    assert state == "warn"
    assert "ahead of the collector" in summary and "3600 s" in summary
    # The result keeps the agent's own time; its run the collector's receiving time.
    assert str(observed)[:16] == ahead.strftime("%Y-%m-%d %H:%M")
    assert str(received)[:16] != str(observed)[:16]
    assert abs(site_collector.agent_json(agent.target)["clock_offset_s"] - 3600) < 60
    line = f'patrol_check_state{{check="agent.clock",item="",site="hq",target="{agent.target}"}} 1.0'
    wait_until(lambda: line in site_collector.get("/metrics").text, 30, "agent.clock WARN on /metrics")


def test_a_batch_for_another_target_is_filed_under_the_agents_own(site_collector):
    agent = site_collector.enroll("pc-input-own")
    other = site_collector.enroll("pc-input-victim")
    body = agent.batch([run("system", [result("system.disk", "C:", "CRIT")])])
    body["hostname"] = other.target
    assert agent.send(body).status_code == 200
    assert stored_results(site_collector, other.target) == 0
    assert stored_results(site_collector, agent.target) == 1


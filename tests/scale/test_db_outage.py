"""The collector's API while its PostgreSQL cannot be reached: 503 with Retry-After (agents and
balancers wait), the same request stored once the database is back; no bare 500."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import datetime, timezone

from prometheus_client.registry import CollectorRegistry
from starlette.testclient import TestClient

from agent.context import store_components
from agent.fleet.protocol import RESULTS_PATH, EnrollRequest, MachineIdentity, run_to_wire
from agent.serve.app import DB_RETRY_AFTER_S, CollectorServices, create_app
from agent.serve.ingest import Ingestor
from agent.serve.pump import TicketPump
from agent.serve.registry import AgentRegistry
from agent.serve.schema import FLEET
from agent.store import Store
from collectors.base import CheckResult, CheckRun, State
from config.schema import Settings
from tests.scale.replicas import fresh_database
from tests.support.tcpproxy import TcpProxy

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)


def batch(agent, seq: int) -> bytes:
    run = CheckRun("system", "x", NOW, 0.2, (CheckResult("system.disk", "x", "/", State.OK, "fine", observed_at=NOW),))
    body = {"batch_id": uuid.uuid4().hex, "seq": seq, "sent_at": NOW.isoformat(), "hostname": agent.hostname,
            "interval_s": 60, "dropped": 0, "runs": [run_to_wire(run)]}
    return gzip.compress(json.dumps(body).encode())


def test_pushes_get_503_with_retry_after_while_the_database_is_cut(postgres_url):
    db_url = fresh_database(postgres_url)
    port = int(db_url.rsplit(":", 1)[1].split("/")[0])
    with TcpProxy("127.0.0.1", port) as proxy:
        store = Store.open(db_url.replace(f":{port}/", f":{proxy.port}/"), "hq", [*store_components(), FLEET])
        try:
            registry = AgentRegistry(store.engine, lambda: NOW)
            agent, credential, _ = registry.enroll(EnrollRequest(
                token=registry.create_token("hq").token, name="pc-1",
                identity=MachineIdentity(hostname="pc-1", machine_id="m-1")))
            services = CollectorServices(
                registry=registry, ingestor=Ingestor(store.engine, lambda site: Store(store.engine, site),
                                                     clock=lambda: NOW),
                pump=TicketPump(lambda site: None), metrics=CollectorRegistry(), default_site="hq",
                sites=frozenset({"hq"}), version="test", ca_pem=None, agent_checks=lambda site: {},
                local_overrides=(), alert_token=lambda: None, alert_settings=Settings().serve.alertmanager,
                audit=lambda *a: None, clock=lambda: NOW)
            asgi, _app = create_app(services, max_body_bytes=2**20)
            headers = {"Authorization": f"Bearer {credential}", "Content-Type": "application/json",
                       "Content-Encoding": "gzip"}
            with TestClient(asgi, raise_server_exceptions=False) as client:
                assert client.post(RESULTS_PATH, content=batch(agent, 1), headers=headers).status_code == 200
                proxy.cut()  # pooled connections reset, new ones refused
                answer = client.post(RESULTS_PATH, content=batch(agent, 2), headers=headers)
                assert answer.status_code == 503, answer.text
                assert answer.headers["Retry-After"] == str(DB_RETRY_AFTER_S)
                assert "database cannot be reached" in answer.json()["detail"]
                assert credential not in answer.text
                proxy.restore()
                again = client.post(RESULTS_PATH, content=batch(agent, 2), headers=headers)
                assert again.status_code == 200 and again.json()["stored"] is True
            stored = registry.get(agent.agent_id)
            assert (stored.last_seq, stored.results_total) == (2, 2)  # both batches stored, each once
        finally:
            store.close()

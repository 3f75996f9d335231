from __future__ import annotations

import pytest

from agent.run.outbox import Outbox
from agent.run.push import PushLink, Pusher
from config.fleet_state import FleetPaths
from tests.fleet.recording_collector import RecordingCollector, make_pki

CREDENTIAL = "pac_test-credential-0123456789"
T0 = 1_800_000_000.0


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def collector(pki):
    with RecordingCollector(pki) as server:
        server.accept_batches()
        yield server


@pytest.fixture
def make_pusher(tmp_path, pki):
    made = []

    def make(url: str, *, credential: str | None = CREDENTIAL, max_bytes: int = 2**26, max_results: int = 2000,
             clock: Clock | None = None) -> Pusher:
        paths = FleetPaths.under(tmp_path / "state")
        paths.root.mkdir(parents=True, exist_ok=True)
        paths.ca.write_bytes(pki.ca_pem)
        link = PushLink(url=url, credential=credential, ca_file=paths.ca, paths=paths, hostname="pc-0412",
                        version="1.2.3", os="Linux 6.1", timeout_s=5, batch_max_results=max_results, retry_base_s=5,
                        retry_max_s=600, max_bytes=max_bytes, max_age_s=3600)
        clock = clock or Clock()
        pusher = Pusher(link, Outbox(paths.outbox, max_bytes=max_bytes, max_age_s=3600, clock=clock), clock=clock,
                        rand=lambda: 0.5)
        made.append(pusher)
        return pusher

    yield make
    for p in made:
        p.close()


# --- the real collector (`patrol serve`), for the collector's own tests -----------------------

ALERT_TOKEN_ENV = "PATROL_TEST_AM_TOKEN"
ALERT_TOKEN = "am-" + "7f3c9e21b04d4a8c9d5e6f7a8b9c0d1e"


@pytest.fixture(scope="session")
def site_collector(tmp_path_factory):
    """One `patrol serve --no-devices` for the whole session (HTTPS with its own CA), with the
    Alertmanager receiver on (token from the environment, as in docs/fleet.md)."""
    from tests.support.collector import CollectorProcess

    extra = {"serve": {"alertmanager": {"token": f"env:{ALERT_TOKEN_ENV}"}}}
    with CollectorProcess.start(tmp_path_factory.mktemp("collector"), extra,
                                env={ALERT_TOKEN_ENV: ALERT_TOKEN}) as server:
        yield server

import pytest

from agent.serve.leases import LEASES, collector_replicas, device_leases
from agent.store import Store
from tests.support.postgres import postgres_url  # noqa: F401 - the session fixture


@pytest.fixture
def engine(postgres_url):  # noqa: F811
    """The lease tables on the session's PostgreSQL, emptied for each test."""
    store = Store.open(postgres_url, "hq", [LEASES])
    with store.engine.begin() as conn:
        conn.execute(device_leases.delete())
        conn.execute(collector_replicas.delete())
    yield store.engine
    store.close()

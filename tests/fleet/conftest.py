from __future__ import annotations

import pytest

from tests.fleet.recording_collector import RecordingCollector, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def collector(pki):
    with RecordingCollector(pki) as server:
        server.accept_batches()
        yield server

"""A private cupsd for the whole session, with queues the tests may pause, reject and fill."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.printers.cups_server import Cups, start_cups


@pytest.fixture(scope="session")
def cups() -> Iterator[Cups]:
    # Not pytest's tmp_path: its folders are 0700 and cupsd's backends run as lp.
    root = Path(tempfile.mkdtemp(prefix="patrol-cups-"))
    server = start_cups(root)
    try:
        yield server
    finally:
        server.process.stop()
        shutil.rmtree(root, ignore_errors=True)

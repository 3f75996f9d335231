"""A fakenos process serving a Cisco IOS, a Huawei VRP and an Arista EOS device on loopback.

The devices' configurations are files the tests rewrite (see fakenos_server.py); a test
that changes one puts the original back when it ends (``device_files`` fixture).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.netconfig.serverstop import stop_server
from tests.support.proc import ServerProcess, free_port, tcp_listening, wait_until

HERE = Path(__file__).parent
DATA = HERE / "data"


@dataclass(frozen=True)
class FakeDevice:
    name: str
    platform: str  # fakenos platform (also a netmiko device type)
    port: int
    username: str
    password: str
    config_file: Path
    version_file: Path
    original_config: str
    original_version: str

    def set_config(self, text: str) -> None:
        self.config_file.write_text(text)

    def set_version(self, text: str) -> None:
        self.version_file.write_text(text)

    def restore(self) -> None:
        self.config_file.write_text(self.original_config)
        self.version_file.write_text(self.original_version)


DEVICES = (
    # name, platform, sample folder
    ("r1", "cisco_ios", "cisco_ios"),
    ("sw2", "huawei_vrp", "huawei_vrp"),
    ("ar3", "arista_eos", "arista_eos"),
)


@pytest.fixture(scope="session")
def fake_devices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FakeDevice]]:
    root = tmp_path_factory.mktemp("fakenos")
    devices: dict[str, FakeDevice] = {}
    for name, platform, sample in DEVICES:
        config = (DATA / sample / "running-config.txt").read_text()
        version = (DATA / sample / "version.txt").read_text()
        device = FakeDevice(name, platform, free_port(), "patrol", f"{name}-Pw-7rQz", root / f"{name}.cfg",
                            root / f"{name}.version", config, version)
        device.restore()
        devices[name] = device
    spec = root / "spec.json"
    spec.write_text(json.dumps({"devices": [
        {"name": d.name, "platform": d.platform, "port": d.port, "username": d.username, "password": d.password,
         "config_file": str(d.config_file), "version_file": str(d.version_file)} for d in devices.values()]}))
    proc = ServerProcess([sys.executable, str(HERE / "fakenos_server.py"), str(spec)], log_path=root / "fakenos.log")
    try:
        # fakenos.start() returns before the ports listen; read LISTEN from /proc (a bare TCP
        # probe would make paramiko print a banner traceback).
        wait_until(lambda: all(tcp_listening(d.port) for d in devices.values()), 30, "fakenos devices", proc)
        yield devices
    finally:
        stop_server(proc)


@pytest.fixture
def device_files(fake_devices: dict[str, FakeDevice]) -> Iterator[dict[str, FakeDevice]]:
    """The fake devices, with their original configuration put back after the test."""
    yield fake_devices
    for device in fake_devices.values():
        device.restore()

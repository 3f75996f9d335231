"""Serve fake network devices over SSH for the netconfig tests: ``python fakenos_server.py SPEC.json``.

SPEC lists devices: ``{"devices": [{"name", "platform", "port", "username", "password",
"config_file", "version_file"?}]}``. Each device answers its platform's configuration
command (``show running-config``, ``display current-configuration``) with the current
content of ``config_file``, read at every call, so a test changes a device's
configuration by rewriting that file. On platforms with privileged mode the command only
works after ``enable``, as on a real Cisco device. Stop with SIGTERM.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

from fakenos import FakeNOS
from fakenos.core.nos import Nos
from fakenos.plugins.nos import nos_plugins

# fakenos platform -> (configuration command, version command)
COMMANDS = {
    "cisco_ios": ("show running-config", "show version"),
    "arista_eos": ("show running-config", "show version"),
    "huawei_vrp": ("display current-configuration", "display version"),
}


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    files = {d["name"]: d for d in spec["devices"]}

    def reader(key: str):
        def output(device, base_prompt: str, current_prompt: str, command: str) -> str:
            path = files[base_prompt].get(key)
            return Path(path).read_text() if path else "% Invalid input detected at '^' marker."
        return output

    inventory = {"hosts": {d["name"]: {"platform": d["platform"], "port": d["port"], "username": d["username"],
                                       "password": d["password"]} for d in spec["devices"]}}
    net = FakeNOS(inventory=inventory)
    for platform in {d["platform"] for d in spec["devices"]}:
        nos = Nos(filename=nos_plugins[platform])
        config_cmd, version_cmd = COMMANDS[platform]
        # Cisco and Arista: only in privileged EXEC, so a backup that forgets "enable" fails.
        prompt = nos.enable_prompt if platform in ("cisco_ios", "arista_eos") else None
        nos.commands[config_cmd] = {"output": reader("config_file"), "help": "configuration", "prompt": prompt}
        if any(d.get("version_file") for d in spec["devices"] if d["platform"] == platform):
            nos.commands[version_cmd] = {"output": reader("version_file"), "help": "version", "prompt": prompt}
        net.nos_plugins[platform] = nos  # a Nos instance is used as is by every host of the platform

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    net.start()
    print("fakenos serving", ", ".join(f"{d['name']}:{d['port']}" for d in spec["devices"]), flush=True)
    stop.wait()
    net.stop()


if __name__ == "__main__":
    main()

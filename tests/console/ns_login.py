"""Sign in to a `patrol serve` console that runs in the test DC's network namespace, over
HTTPS, as a browser's form post would (run there by tests/console/test_directory.py).

Usage: ip netns exec NS python tests/console/ns_login.py URL CA_FILE CASES.json, where
CASES.json is {name: [user, password]}; prints {name: {status, role}} as JSON (role: the
one the signed-in sites page shows, or None).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import requests


def main(url: str, ca: str, cases_file: str) -> None:
    out = {}
    for name, (user, password) in json.loads(Path(cases_file).read_text()).items():
        with requests.Session() as s:
            s.trust_env, s.verify = False, ca
            csrf = re.search(r'name="csrf" value="([^"]+)"', s.get(url + "/login", timeout=10).text).group(1)
            r = s.post(url + "/login", data={"csrf": csrf, "username": user, "password": password},
                       allow_redirects=False, timeout=30)
            role = None
            if r.status_code == 303:
                page = s.get(url + "/", timeout=10).text
                found = re.search(r'<span class="user">[^<]* · ([^<]+)</span>', page)
                role = found.group(1) if found else None
            out[name] = {"status": r.status_code, "role": role}
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:4])

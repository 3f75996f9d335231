"""Console AD sign-in inside the test DC's network namespace (its ports exist only there).

Run by tests/console/test_directory.py as ``ip netns exec NS python tests/console/ns_sign_in.py CASES.json``;
CASES.json: {"settings": ActiveDirectorySignIn as a mapping, "cases": {name: [user, password]}}. Prints
{name: {ok, reason, account, groups, grant}} as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from agent.serve.console import directory
from collectors.base import utcnow
from config.console import ActiveDirectorySignIn


def main(path: str) -> None:
    spec = json.loads(Path(path).read_text())
    settings = ActiveDirectorySignIn.model_validate(spec["settings"])
    out = {}
    for name, (user, password) in spec["cases"].items():
        answer = directory.sign_in(settings, user, password, utcnow)
        granted = directory.grant(answer.groups, settings.groups) if answer.ok else None
        out[name] = {"ok": answer.ok, "reason": answer.reason, "account": answer.account,
                     "groups": list(answer.groups), "grant": [granted.role, granted.site] if granted else None}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])

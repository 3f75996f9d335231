"""Run the domain check inside the test DC's network namespace and print the results.

Started by tests/domain/conftest.py as
``ip netns exec NS python tests/domain/ns_check.py CASES.json`` (the DC's ports exist only
in that namespace). CASES.json maps a case name to the ``checks.domain`` settings; the
passwords come from the environment through the settings' env: references. Logs go to
stderr at DEBUG so the tests can grep them for secrets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

from agent.runner import CheckJob, Runner
from collectors.base import CollectorIO
from collectors.commands import run_command
from collectors.domain import DomainCollector
from config.checks.domain import DomainParams
from config.secrets import resolve_secret
from inventory.models import Host


def main(cases_file: str) -> None:
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    cases = json.loads(Path(cases_file).read_text())
    runner = Runner(CollectorIO(run=run_command, resolve_secret=resolve_secret), concurrency=4)
    target = Host(name="pc-01", local=True)
    jobs = {name: CheckJob(DomainCollector(), target, DomainParams.model_validate(raw)) for name, raw in cases.items()}

    async def run_all() -> dict:
        runs = await asyncio.gather(*(runner.run_job(job) for job in jobs.values()))
        return dict(zip(jobs, runs))

    try:
        runs = asyncio.run(run_all())
    finally:
        runner.close()
    out = {name: [{"check": r.check, "item": r.item, "state": r.state.value, "summary": r.summary,
                   "metrics": {m.name: m.value for m in r.metrics}} for r in run.results]
           for name, run in runs.items()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])

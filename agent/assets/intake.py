"""Where a captured snapshot goes after the ``assets`` family ran (agent/assets/collector.py).

The family's ``assets.capture`` result carries the snapshot's canonical JSON in its
details. Before the run is stored or pushed:

- ``archive_run`` files each snapshot into this store's asset archive (deduplicated there by
  content hash);
- ``queue_for_push`` (an enrolled agent) puts this computer's snapshot in the asset spool
  (agent/run/asset_push.py), which sends it once per content;
- ``without_snapshots`` replaces the JSON in the details with one line naming the content
  hash: the results table and the result push stay small (a snapshot with a thousand
  programs is a few hundred kilobytes), and the snapshot itself lives in the archive.

A details text that is not a valid snapshot is logged and left out, never a crash: the
run's other results still count.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from agent.assets.model import AssetSnapshot, SnapshotError, from_json, to_json
from collectors.base import CheckRun

log = logging.getLogger(__name__)
COLLECTOR = "assets"
CHECK = "assets.capture"


def snapshots(run: CheckRun) -> list[tuple[str, AssetSnapshot]]:
    """(target, snapshot) of each capture result in ``run``."""
    if run.collector != COLLECTOR:
        return []
    found = []
    for result in run.results:
        if result.check != CHECK or not result.details.startswith("{"):
            continue
        try:
            found.append((result.target, from_json(json.loads(result.details))))
        except (ValueError, SnapshotError) as exc:
            log.error("asset capture of %s: the snapshot is not readable (%s); not archived", result.target, exc)
    return found


def without_snapshots(run: CheckRun) -> CheckRun:
    if run.collector != COLLECTOR:
        return run
    results = []
    for result in run.results:
        if result.check == CHECK and result.details.startswith("{"):
            try:
                digest = from_json(json.loads(result.details)).content_hash()
                details = f"snapshot {digest} (kept in the asset archive)"
            except (ValueError, SnapshotError):
                details = "snapshot not readable"
            result = replace(result, details=details)
        results.append(result)
    return replace(run, results=tuple(results))


def archive_run(engine: Any, site: str, run: CheckRun) -> int:
    """File the run's snapshots into the archive of ``engine``; how many were new content."""
    found = snapshots(run)
    if not found:
        return 0
    try:
        from agent.assets.archive import record
    except ImportError:  # a build without the archive: the capture is still pushed and reported
        return 0
    return sum(bool(record(engine, site, target, snap, snap.captured_at).stored) for target, snap in found)


def queue_for_push(spool_root: Path, run: CheckRun, own_target: str) -> bool:
    """Queue this computer's snapshot for the collector; True when it was new content."""
    from agent.run.asset_push import AssetSpool

    queued = False
    for target, snap in snapshots(run):
        if target == own_target and snap.kind == "computer":
            queued = AssetSpool(spool_root).queue(snap.content_hash(), to_json(snap)) or queued
    return queued

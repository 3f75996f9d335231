"""Asset snapshots on their way to the collector (``POST /api/v1/assets``, agent/fleet/protocol.py).

Unlike check results, only the newest snapshot matters: the archive keeps states, and a
state the collector never saw is replaced by the next one. So the spool holds one pending
snapshot (``<state_dir>/fleet/assets-pending.json.gz``) and the hash of the last one the
collector took (``assets-sent.json``):

- ``queue``: a snapshot whose content hash equals the last one sent is not queued
  (deduplication: a daily capture of an unchanged computer sends nothing); otherwise it
  replaces whatever was pending;
- ``send``: 200 -> sent, the pending file goes; 404 -> a collector older than asset pushes:
  kept, said once in the log; 401/403 -> kept (re-enrol); 413 or 422 -> the collector will
  never take this one: dropped with the reason logged; anything else or no answer -> kept
  for the next try (the push:outbox job runs every collector.push_interval_s).

Files are replaced by rename, so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.run.http import CollectorUnreachable, detail, request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AssetSendOutcome:
    sent: bool
    stopped: str | None  # why the pending snapshot is still pending (None: nothing pending or sent)


class AssetSpool:
    def __init__(self, root: Path):
        self.root = root
        self.pending_path = root / "assets-pending.json.gz"
        self.sent_path = root / "assets-sent.json"
        self.note_path = root / "assets-note.json"  # what was said in the log already (once per episode)

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def _json(self, path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def sent_hash(self) -> str | None:
        value = self._json(self.sent_path).get("hash")
        return value if isinstance(value, str) else None

    def queue(self, content_hash: str, snapshot_json: dict[str, Any]) -> bool:
        """Queue a snapshot (model.to_json form); False when the collector has this state already."""
        if content_hash == self.sent_hash():
            return False
        body = json.dumps({"hash": content_hash, "snapshot": snapshot_json}, ensure_ascii=False, separators=(",", ":"))
        self._write(self.pending_path, gzip.compress(body.encode("utf-8"), 6))
        return True

    def pending(self) -> dict[str, Any] | None:
        try:
            data = json.loads(gzip.decompress(self.pending_path.read_bytes()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError) as exc:  # a torn or foreign file: dropped, the next capture comes
            log.warning("asset push: pending snapshot %s not readable (%s); dropped", self.pending_path, exc)
            self.pending_path.unlink(missing_ok=True)
            return None
        return data if isinstance(data, dict) and isinstance(data.get("hash"), str) else None

    def _said(self, key: str) -> bool:
        """Whether ``key`` was logged already in this episode (and mark it)."""
        notes = self._json(self.note_path)
        if notes.get(key):
            return True
        self._write(self.note_path, json.dumps({**notes, key: True}).encode())
        return False

    def _episode_over(self) -> None:
        self.note_path.unlink(missing_ok=True)

    def send(self, pusher: Any) -> AssetSendOutcome:
        """POST the pending snapshot with ``pusher``'s link, session and credential (agent/run/push.py)."""
        from agent.fleet.protocol import ASSETS_PATH

        item = self.pending()
        if item is None:
            return AssetSendOutcome(False, None)
        if pusher.link.credential is None:
            return AssetSendOutcome(False, "not enrolled")
        body = {"hostname": pusher.link.hostname, "hash": item["hash"], "snapshot": item["snapshot"]}
        data = gzip.compress(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)
        try:
            response = request(pusher.http(), "POST", pusher.link.url + ASSETS_PATH, timeout_s=pusher.link.timeout_s,
                               data=data, headers=pusher.headers() | {"Content-Type": "application/json",
                                                                      "Content-Encoding": "gzip"})
        except CollectorUnreachable as exc:
            return AssetSendOutcome(False, f"unreachable: {exc}")
        status = response.status_code
        if status == 200:
            self._write(self.sent_path, json.dumps({"hash": item["hash"]}).encode())
            self.pending_path.unlink(missing_ok=True)
            self._episode_over()
            return AssetSendOutcome(True, None)
        reason = f"HTTP {status}: {detail(response)}"
        if status == 404:
            if not self._said("no-endpoint"):
                log.warning("asset push: the collector does not take asset snapshots (%s; older than this agent?); "
                            "the newest snapshot is kept and sent once it does", reason)
        elif status in (413, 422):
            log.error("asset push: the collector refused this asset snapshot (%s); dropped, the next capture is sent",
                      reason)
            self.pending_path.unlink(missing_ok=True)
        return AssetSendOutcome(False, reason)

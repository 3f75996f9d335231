"""`config:pull`: fetch this agent's check settings from the collector (issue 12, point 5).

``GET /api/v1/agents/me/config`` with ``If-None-Match``; a new body is checked against
the protocol (AgentConfig) and kept in ``<state_dir>/fleet/central-config.json`` with its
ETag. The settings loader applies it (config/central.py) whenever a worker starts, so
thresholds change at the next check run; on a change the pulling worker also sends the
supervisor a new plan (agent/worker.py), which reschedules the families (Daemon.replan).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from agent.run.enrolment import write_private
from agent.run.http import CollectorUnreachable, detail, request
from agent.run.push import REFUSED_LINE, Pusher
from config.central import CentralConfigError, parse_central

log = logging.getLogger(__name__)


def saved_etag(pusher: Pusher) -> str | None:
    try:
        return parse_central(pusher.link.paths.central_config.read_text(encoding="utf-8")).etag
    except (OSError, UnicodeDecodeError, CentralConfigError):
        return None


def pull_config(pusher: Pusher) -> str:
    """Returns "changed", "unchanged" or "failed" (logged)."""
    from pydantic import ValidationError

    from agent.fleet.protocol import CONFIG_PATH, AgentConfig

    link = pusher.link
    if link.credential is None:
        return "failed"
    headers = pusher.headers()
    etag = saved_etag(pusher)
    if etag:
        headers["If-None-Match"] = etag
    try:
        response = request(pusher.http(), "GET", link.url + CONFIG_PATH, timeout_s=link.timeout_s, headers=headers)
    except CollectorUnreachable as exc:
        log.info("check settings from the collector not refreshed: %s", exc)
        return "failed"
    if response.status_code == 304:
        return "unchanged"
    if response.status_code in (401, 403):
        if not pusher.outbox.flag("refused", True):
            log.error("%s: HTTP %d %s", REFUSED_LINE, response.status_code, detail(response))
        return "failed"
    if response.status_code != 200:
        log.warning("check settings from the collector not refreshed: HTTP %d %s", response.status_code,
                    detail(response))
        return "failed"
    try:
        config = AgentConfig.model_validate(response.json())
    except (ValueError, ValidationError) as exc:
        log.error("check settings from the collector ignored: not an agent config (%s)",
                  " ".join(str(exc).split())[:300])
        return "failed"
    document: dict[str, Any] = {"etag": response.headers.get("ETag"), "config": config.model_dump(mode="json")}
    path = link.paths.central_config
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("config")
    except (OSError, ValueError, AttributeError):
        old = None
    write_private(path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    if old == document["config"]:
        return "unchanged"
    log.info("check settings from the collector updated (site %s): they apply from the next check run", config.site)
    return "changed"

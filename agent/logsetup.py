"""Logging: stderr always; a rotating file under `patrol run`; JSON lines for log shippers."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import datetime, timezone
from pathlib import Path


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str = "INFO", fmt: str = "text", file: Path | None = None,
                  max_bytes: int = 10 * 1024 * 1024, backups: int = 5) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter: logging.Formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter)
    root.addHandler(stderr)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        rotating.setFormatter(formatter)
        root.addHandler(rotating)
    root.setLevel(level.upper())
    # Libraries that chat at INFO: their detail is for debugging only.
    for noisy in ("apscheduler", "paramiko", "netmiko", "pysnmp", "urllib3", "asyncio", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))

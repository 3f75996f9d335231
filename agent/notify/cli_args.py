"""The `patrol notify` arguments, apart from agent/notify/cli.py so that building the
`patrol` parser imports neither SQLAlchemy nor requests."""

from __future__ import annotations

from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("notify", help="check notification channels and see what waits to be sent")
    sub = p.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    t = sub.add_parser("test", help="send a sample message through one channel now (not through the queue)")
    t.add_argument("channel", help="a channel name under notify.channels")
    t.add_argument("--event", default="test", choices=("test", "opened", "escalated", "resolved", "sla_warning"),
                   help="which kind of message to send as the sample (default: test)")
    q = sub.add_parser("queue", help="notifications waiting to be sent, with their last error")
    q.add_argument("--drain", action="store_true", help="send what is due now")
    q.add_argument("--json", action="store_true", help="print the waiting notifications as JSON")

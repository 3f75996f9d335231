"""`patrol notify test CHANNEL` and `patrol notify queue`."""

from __future__ import annotations

import argparse
import getpass
import json
from typing import Any

from agent.notify.channels import make_channel
from agent.notify.channels.base import DeliveryFailed
from agent.notify.message import Notice
from agent.textsafe import plain_text

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def sample_notice(settings: Any, event: str, now: Any) -> Notice:
    from datetime import timedelta

    from agent.notify.planner import mentions_for

    tier = settings.ticketing.tiers[0].name
    return Notice(event=event, site=settings.agent.site, ticket="#0", title="Patrol test message / 测试消息",
                  target=settings.agent.name, check="patrol.notify_test", severity="ok", tier=tier, at=now,
                  due=now + timedelta(minutes=10) if event in ("escalated", "sla_warning") else None,
                  level=1 if event == "escalated" else 0, missed="response" if event != "test" else None,
                  url=settings.notify.console_url,
                  mentions=mentions_for(settings.notify, tier, 1 if event == "escalated" else 0, now))


def _test(args: argparse.Namespace, ctx: Any) -> int:
    from zoneinfo import ZoneInfo

    notify = ctx.settings.notify
    if args.channel not in notify.channels:
        print(f"no channel {plain_text(args.channel)!r} under notify.channels; channels are: "
              f"{', '.join(sorted(notify.channels)) or '(none)'}")
        return EXIT_USAGE
    channel = make_channel(args.channel, notify.channels[args.channel], notify.language, ZoneInfo(notify.timezone))
    try:
        channel.send(sample_notice(ctx.settings, args.event, ctx.clock()))
    except DeliveryFailed as exc:
        print(f"not sent: {plain_text(exc)}")
        ctx.store.audit("notify.test", args.channel, {"ok": False, "error": str(exc)}, actor=getpass.getuser())
        return EXIT_ERROR
    ctx.store.audit("notify.test", args.channel, {"ok": True}, actor=getpass.getuser())
    print(f"sent a sample {args.event} message through {args.channel} ({channel.kind})")
    return EXIT_OK


def _queue(args: argparse.Namespace, ctx: Any) -> int:
    from agent.notify.channels import make_channels
    from agent.notify.queue import NotifyQueue, pending

    drained = None
    if args.drain:
        notify = ctx.settings.notify
        queue = NotifyQueue(ctx.store.engine, ctx.store.site, make_channels(notify), clock=ctx.clock,
                            retry_base_s=notify.retry_base_s, retry_max_s=notify.retry_max_s,
                            max_drain_s=notify.max_drain_s)
        drained = queue.drain()
    rows = pending(ctx.store.engine, ctx.store.site)
    if args.json:
        print(json.dumps({"sent": drained.sent if drained else None, "pending": [
            {"id": r.id, "channel": r.channel, "event": r.event, "queued": r.created_at.isoformat(),
             "attempts": r.attempts, "next_attempt": r.next_attempt_at.isoformat(), "last_error": r.last_error}
            for r in rows]}, indent=2, ensure_ascii=False))
        return EXIT_OK
    if drained is not None:
        print(f"sent {drained.sent}, failed {drained.failed}, rate-limited {drained.rate_limited}")
    if not rows:
        print("notification queue empty: nothing waiting")
        return EXIT_OK
    for r in rows:
        print(plain_text(f"{r.id}  {r.channel}  {r.event}  queued {r.created_at:%Y-%m-%d %H:%M}Z  tries {r.attempts}  "
                         f"next {r.next_attempt_at:%Y-%m-%d %H:%M}Z  {r.last_error or ''}").rstrip())
    return EXIT_OK


def main(args: argparse.Namespace, ctx: Any) -> int:
    if args.notify_command == "test":
        return _test(args, ctx)
    return _queue(args, ctx)

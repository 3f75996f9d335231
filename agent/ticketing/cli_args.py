"""The `patrol tickets` arguments, apart from agent/ticketing/cli.py so that building the
`patrol` parser does not import SQLAlchemy (`patrol run` must stay small)."""

from __future__ import annotations

from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("tickets", help="list and work the tickets Patrol opened")
    sub = p.add_subparsers(dest="tickets_command", metavar="ACTION", required=True)

    ls = sub.add_parser("list", help="open tickets (all with --all)")
    ls.add_argument("--all", action="store_true", help="include resolved tickets")
    ls.add_argument("--limit", type=int, default=200, help="show at most this many, newest first (default: 200)")
    ls.add_argument("--json", action="store_true", help="print the tickets as JSON")

    show = sub.add_parser("show", help="one ticket with its history")
    show.add_argument("ticket", help="the ticket system's number (RT #8, #8, 8) or a fingerprint prefix")
    show.add_argument("--json", action="store_true", help="print the ticket, its events and comments as JSON")

    for name, helptext in (("ack", "acknowledge: stops the response-deadline escalation"),
                           ("resolve", "resolve by hand (it reopens if the check keeps failing)")):
        a = sub.add_parser(name, help=helptext)
        a.add_argument("ticket", help="the ticket system's number (RT #8, #8, 8) or a fingerprint prefix")
        a.add_argument("--note", default="", help="text added to the ticket")
        a.add_argument("--user", default=None, help="who does it (default: your login name)")

    c = sub.add_parser("comment", help="add a comment")
    c.add_argument("ticket", help="the ticket system's number (RT #8, #8, 8) or a fingerprint prefix")
    c.add_argument("text", help="the comment (quote it)")
    c.add_argument("--user", default=None, help="who writes it (default: your login name)")

    o = sub.add_parser("outbox", help="backend calls waiting to be sent, with their last error")
    o.add_argument("--drain", action="store_true", help="send what is due now")
    o.add_argument("--force", action="store_true", help="with --drain: ignore the retry backoff")
    o.add_argument("--json", action="store_true", help="print the pending operations as JSON")

    s = sub.add_parser("silence", help="hold new tickets for matching findings until a time")
    ssub = s.add_subparsers(dest="silence_command", metavar="ACTION", required=True)
    add = ssub.add_parser("add")
    add.add_argument("--target", default="*", help="target name or glob")
    add.add_argument("--check", default="*", help="check name or glob, e.g. 'patches.*'")
    add.add_argument("--item", default="*", help="item name or glob, e.g. 'Gi0/*' (default: every item)")
    add.add_argument("--for", dest="duration", default=None, help="how long: 30m, 4h, 2d")
    add.add_argument("--until", default=None, help="end time, ISO 8601 with a time zone")
    add.add_argument("--reason", required=True, help="why (kept in the audit log)")
    add.add_argument("--user", default=None, help="who silences (default: your login name)")
    sl = ssub.add_parser("list")
    sl.add_argument("--json", action="store_true", help="print the silences as JSON")
    rm = ssub.add_parser("remove")
    rm.add_argument("id", type=int, help="the silence's id (see `patrol tickets silence list`)")
    rm.add_argument("--user", default=None, help="who removes it (default: your login name)")


# --- output --------------------------------------------------------------------------------

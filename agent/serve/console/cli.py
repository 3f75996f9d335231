"""`patrol console user add|list|passwd|remove`: the console's local accounts.

The first admin is made here, on the collector's machine; later users can be made the
same way (the console has no user pages yet). Passwords are read from the terminal, or
from stdin with --password-stdin (scripts), never from the command line (ps would show them).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(sub: Any) -> None:
    p = sub.add_parser("console", help="the collector's web console: local user accounts (docs/console.md)")
    csub = p.add_subparsers(dest="console_command", metavar="ACTION", required=True)
    u = csub.add_parser("user", help="console users")
    usub = u.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    a = usub.add_parser("add", help="add a user (viewer: one site, read-only; engineer; admin)")
    a.add_argument("username", help="the login name of the new user")
    a.add_argument("--role", choices=("viewer", "engineer", "admin"), required=True,
                   help="viewer: one site, read-only; engineer: every site, acknowledges and comments tickets; "
                        "admin: as engineer, plus revoking agents and the audit log (docs/console.md)")
    a.add_argument("--site", default=None, help="the one site a viewer sees (engineers and admins: every site)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    usub.add_parser("list", help="every user with role and site")
    w = usub.add_parser("passwd", help="set a user's password (ends the user's sessions)")
    w.add_argument("username", help="the user whose password is set")
    w.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    r = usub.add_parser("remove", help="remove a user (ends the user's sessions)")
    r.add_argument("username", help="the user to remove")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {args.username}: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def main(args: argparse.Namespace, ctx: Any) -> int:
    from agent.context import store_components
    from agent.serve.console.accounts import AccountError, Accounts
    from agent.serve.console.schema import CONSOLE
    from agent.store import Store

    store = Store.open(ctx.settings.store_url, ctx.settings.agent.site, [*store_components(), CONSOLE])
    accounts = Accounts(store.engine, ctx.clock)
    action = args.user_command
    try:
        if action == "add":
            sites = {ctx.settings.agent.site, *ctx.settings.serve.sites}
            if args.site is not None and args.site not in sites:
                print(f"patrol: no site {args.site!r} on this collector; sites are {sorted(sites)}", file=sys.stderr)
                return EXIT_USAGE
            user = accounts.add(args.username, _password(args), args.role, args.site)
            store.audit("console.user.add", user.username, {"role": user.role, "site": user.site}, actor="cli")
            print(f"added {user.role} {user.username}" + (f" (site {user.site})" if user.site else ""))
        elif action == "list":
            for user in accounts.list():
                print(f"{user.username}\t{user.role}\t{user.site or '*'}\t{user.created_at:%Y-%m-%d}")
        elif action == "passwd":
            accounts.passwd(args.username, _password(args))
            store.audit("console.user.passwd", args.username, {}, actor="cli")
            print(f"password of {args.username} changed; its sessions were ended")
        elif action == "remove":
            accounts.remove(args.username)
            store.audit("console.user.remove", args.username, {}, actor="cli")
            print(f"removed {args.username}")
        return EXIT_OK
    except (AccountError, ValueError) as exc:
        print(f"patrol: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()

"""`patrol tickets list/show` with a port named like rich markup and carrying escape
sequences: printed literally, on a terminal and piped (issue 17)."""

from __future__ import annotations

import argparse

import pytest
from rich.console import Console

from agent.context import AppContext
from agent.ticketing import cli, cli_args
from collectors.base import State
from tests.ticketing.conftest import settings_with

PORT = "[/x] Gi0/2\x1b]0;pwned\x07\x1b[2J"


@pytest.fixture
def ctx(make_harness):
    h = make_harness(settings_with())
    key = ("sw-1", "switch.port", State.CRIT, PORT)
    h.cycle(key)
    h.cycle(key)
    return AppContext(h.service.settings, clock=h.clock, _store=h.store)


def _run(argv: list[str], ctx, capsys, terminal: bool, monkeypatch) -> str:
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: terminal))
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_args.add_parser(sub)
    assert cli.main(parser.parse_args(["tickets", *argv]), ctx) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("terminal", [True, False])
def test_list_and_show_print_device_text_literally(ctx, capsys, monkeypatch, terminal):
    for argv in (["list", "--all"], ["show", "1"]):
        out = _run(argv, ctx, capsys, terminal, monkeypatch)
        # rich styles a terminal table with its own SGR codes; the device's sequences never pass
        assert "]0;pwned" not in out and "\x07" not in out and "\x1b[2J" not in out
        assert "[/x]" in out or (argv[0] == "list" and "[/x" in out), out

"""The runner: concurrency, timeouts and exceptions become UNKNOWN, the rest still report."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from agent.runner import Runner, plan
from collectors.base import CollectorIO, State
from collectors.commands import run_command
from collectors.registry import Registry
from config.loader import parse_yaml, validate
from config.schema import Settings
from inventory.loader import load_inventory
from tests.core.fakes import (AsyncHangingCollector, BadEvaluateCollector, HangingCollector, OkCollector,
                              RaisingCollector)


def settings(plugins: dict) -> Settings:
    return validate(Settings, parse_yaml(f"checks: {{plugins: {plugins!r}}}".replace("'", '"'), "test.yaml"))


def run_all(collectors, plugins, concurrency=4):
    registry = Registry({c.name: c for c in collectors})
    jobs = plan(registry, settings(plugins), load_inventory(None, local_name="pc-1"))
    runner = Runner(CollectorIO(run=run_command), concurrency=concurrency)
    try:
        started = time.monotonic()
        runs = asyncio.run(runner.run(jobs))
        return {r.collector: r for r in runs}, time.monotonic() - started
    finally:
        runner.close()


def test_a_raising_and_a_hanging_check_do_not_stop_the_others(caplog):
    collectors = [OkCollector(), RaisingCollector(), HangingCollector(), AsyncHangingCollector(), BadEvaluateCollector()]
    plugins = {"hanging": {"timeout_s": 0.5, "sleep_s": 5}, "async_hanging": {"timeout_s": 0.5}}
    with caplog.at_level(logging.DEBUG):
        runs, elapsed = run_all(collectors, plugins)
    assert elapsed < 4, "the hanging checks held up the cycle"
    ok = runs["ok"]
    assert ok.error is None and [r.state for r in ok.results] == [State.OK]
    raising = runs["raising"].results[0]
    assert raising.state is State.UNKNOWN and raising.item == "" and raising.check == "raising"
    assert raising.summary == "RuntimeError: device said something multi-line and odd"  # one clean line
    for name in ("hanging", "async_hanging"):
        result = runs[name].results[0]
        assert result.state is State.UNKNOWN and result.summary == "timed out after 0.5 s", result.summary
    assert runs["bad_evaluate"].results[0].summary.startswith("TypeError: bad_evaluate.evaluate yielded str")
    # the traceback is in the debug log, not in the result
    assert any(rec.levelno == logging.DEBUG and rec.exc_info for rec in caplog.records)


def test_disabled_family_is_not_planned():
    registry = Registry({"ok": OkCollector()})
    inv = load_inventory(None, local_name="pc-1")
    assert plan(registry, settings({"ok": {"enabled": False}}), inv) == []
    assert len(plan(registry, settings({"ok": {"enabled": False}}), inv, include_disabled=True)) == 1


def test_bad_plugin_settings_are_a_clear_error():
    from agent.runner import PluginSettingsError

    with pytest.raises(PluginSettingsError, match="checks.plugins.ok"):
        plan(Registry({"ok": OkCollector()}), settings({"ok": {"sleep_s": "long"}}), load_inventory(None, local_name="x"))


def test_concurrency_limit_is_respected():
    from tests.core.fakes import CountingSlowCollector

    class Many(CountingSlowCollector):
        name = "slow"

        def targets(self, params, inventory):
            from inventory.models import Host
            return [Host(name=f"h{i}", address="127.0.0.1") for i in range(12)]

    Many.running = Many.max_running = 0
    runs, _ = run_all([Many()], {"slow": {"sleep_s": 0.05}}, concurrency=3)
    assert Many.max_running == 3


def test_broken_entry_point_is_reported_not_fatal():
    from importlib.metadata import EntryPoint

    from collectors.registry import load_registry

    eps = [EntryPoint("ok", "tests.core.fakes:OkCollector", "patrol.collectors"),
           EntryPoint("gone", "tests.core.no_such_module:X", "patrol.collectors"),
           EntryPoint("misnamed", "tests.core.fakes:RaisingCollector", "patrol.collectors")]
    registry = load_registry(eps)
    assert list(registry.collectors) == ["ok"]
    assert {b.name for b in registry.broken} == {"gone", "misnamed"}
    with pytest.raises(KeyError, match="no check family named 'nope'; known: ok"):
        registry.get("nope")


def test_endpoint_role_checks_only_its_own_computer(tmp_path):
    from inventory.models import NetworkDevice

    class Everything(OkCollector):
        def targets(self, params, inventory):
            return [inventory.local, NetworkDevice(name="sw-1", address="10.0.0.1")]

    registry = Registry({"ok": Everything()})
    inv = load_inventory(None, local_name="pc-1")
    endpoint = validate(Settings, parse_yaml("agent: {role: endpoint}", "t.yaml"))
    collector = validate(Settings, parse_yaml("agent: {role: collector}", "t.yaml"))
    assert [j.target.name for j in plan(registry, endpoint, inv)] == ["pc-1"]
    assert [j.target.name for j in plan(registry, collector, inv)] == ["pc-1", "sw-1"]

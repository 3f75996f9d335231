"""What the switch check says of real recordings, kept as a golden file, so that work on its
speed can prove it changed nothing: every result's state, English summary, zh-CN sentence,
message (id and parameters as stored), details and metrics, and the poll state kept for the
next poll, for sequences of polls of real devices (tests/snmp/data, served by snmpsim) through
the real runner and SNMP client.

The golden file (data/golden/switch-results.json) was written by the code before the
issue-18 speed work and must not be rewritten to make a faster path pass: a change of what
the check says is a change of its own, made (and reviewed) on purpose. To rewrite it then:

    .venv/bin/python -m tests.snmp.golden --write

The one value that cannot repeat is the first round trip (switch.reachability "answers SNMP
in N ms" and its response_time_seconds metric): it is replaced by 0 before comparing.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from collectors.base import CheckResult, MessageRef, Metric
from collectors.messages import to_json
from collectors.snmp.pollstate import PollState

GOLDEN = Path(__file__).parent / "data" / "golden" / "switch-results.json"

# Sequences of polls sharing one poll state: (recording served by snmpsim, seconds after T0).
# Two polls of the same recording give rates of zero; synth/c3560-later gives real deltas.
_SKIPPED = {"dlink-des3200", "h3c-e528"}  # snmpsim variations in them move with the wall clock
SEQUENCES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, int], ...]]] = {
    # uplinks: Gi0/49 (a CDP neighbour), Gi0/99 (not a port of the device)
    "c3560 three polls": (("Gi0/49", "Gi0/99"),
                          (("cisco-c3560", 0), ("cisco-c3560", 300), ("synth/c3560-later", 600))),
    "c3560 uplink neighbour gone": (("Gi0/49",), (("cisco-c3560", 0), ("synth/c3560-neighbor-gone", 300))),
    "synth changes": (("Gi0/1",), (("synth/t0", 0), ("synth/t1", 300), ("synth/t0", 600),
                                   ("synth/reboot", 900), ("synth/reboot", 1200))),
    "partial agent": ((), (("synth/partial", 0), ("synth/partial", 300))),
    "unsupported sensors": ((), (("synth/unsupported", 0),)),
    "hostile names": ((), (("synth/hostile-names", 0),)),
}


def recordings() -> list[str]:
    data = Path(__file__).parent / "data"
    return [p.stem for p in sorted(data.glob("*.snmprec")) if p.stem not in _SKIPPED and p.stem != "cisco-c3560"]


def sequences() -> dict[str, tuple[tuple[str, ...], tuple[tuple[str, int], ...]]]:
    return {**SEQUENCES, **{f"{name} first poll": ((), ((name, 0),)) for name in recordings()}}


def _steady(result: CheckResult) -> CheckResult:
    """The result with its round trip set to 0 (the one value a poll cannot repeat)."""
    if result.check != "switch.reachability" or result.message is None or result.message.id != "switch.answers":
        return result
    summary, n = re.subn(r"^answers SNMP in \d+ ms", "answers SNMP in 0 ms", result.summary)
    assert n == 1, result.summary
    params = tuple((k, 0.0 if k == "ms" else v) for k, v in result.message.params)
    metrics = tuple(Metric(m.name, 0.0, m.unit, m.labels) if m.name == "response_time_seconds" else m
                    for m in result.metrics)
    return replace(result, summary=summary, message=MessageRef(result.message.id, params), metrics=metrics)


def _number(value: Any) -> Any:
    # repr keeps every bit of a float, and tells 1 from 1.0 (the type a metric was made with)
    return repr(value) if isinstance(value, (int, float)) else value


def snapshot(result: CheckResult) -> dict[str, Any]:
    from agent.reports.i18n import Translator

    r = _steady(result)
    message = to_json(r.message) if r.message is not None else None
    return {"check": r.check, "target": r.target, "item": r.item, "state": r.state.value, "summary": r.summary,
            "zh-CN": Translator("zh-CN").result_text(r.summary, message)[0], "message": message,
            "message_types": _types(r.message), "details": r.details, "observed_at": r.observed_at.isoformat(),
            "metrics": [[m.name, _number(m.value), m.unit, [list(kv) for kv in m.labels]] for m in r.metrics]}


def _types(ref: MessageRef | None) -> Any:
    """The Python types of a message's parameters (JSON alone would not tell 3 from 3.0)."""
    if ref is None:
        return None

    def one(v: Any) -> Any:
        if isinstance(v, MessageRef):
            return _types(v)
        if isinstance(v, tuple):
            return [one(x) for x in v]
        return type(v).__name__

    return {k: one(v) for k, v in ref.params}


def run_sequences(port: int, state_root: Path) -> dict[str, Any]:
    """Every sequence polled through the real runner and client against snmpsim on ``port``."""
    from tests.snmp.conftest import device, later, run_once

    out: dict[str, Any] = {}
    for name, (uplinks, polls) in sequences().items():
        state_dir = state_root / re.sub(r"\W+", "-", name)
        for recording, seconds in polls:
            run = run_once(device(port, recording, uplinks=uplinks), state_dir, at=later(seconds))
            out[f"{name}: {recording} at +{seconds} s"] = _without_port({
                "error": run.error, "results": [snapshot(r) for r in run.results],
                "poll_state": PollState(state_dir, "switch").load("sw1")}, f"127.0.0.1:{port}")
    return out


def _without_port(data: Any, address: str) -> Any:
    """snmpsim's address (a free port, other each run) as "127.0.0.1:PORT" in errors quoted by results."""
    if isinstance(data, str):
        return data.replace(address, "127.0.0.1:PORT")
    if isinstance(data, dict):
        return {k: _without_port(v, address) for k, v in data.items()}
    if isinstance(data, list):
        return [_without_port(v, address) for v in data]
    return data


def dumps(data: dict[str, Any]) -> str:
    """One result per line: a difference shows as the lines that changed."""
    lines = ["{"]
    for i, (key, poll) in enumerate(data.items()):
        lines.append(f"{json.dumps(key)}: {{\"error\": {json.dumps(poll['error'])}, "
                     f"\"poll_state\": {json.dumps(poll['poll_state'], sort_keys=True, ensure_ascii=False)}, \"results\": [")
        lines += [json.dumps(r, sort_keys=True, ensure_ascii=False) + ("," if j < len(poll["results"]) - 1 else "")
                  for j, r in enumerate(poll["results"])]
        lines.append("]}" + ("," if i < len(data) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help=f"rewrite {GOLDEN}")
    args = ap.parse_args()
    from tests.snmp.conftest import DATA, SYNTH, recordings_in, serve

    with tempfile.TemporaryDirectory() as tmp:
        agent = serve(Path(tmp) / "snmpsim", {**recordings_in(DATA), **SYNTH}, "synth/t0")
        try:
            data = run_sequences(agent.port, Path(tmp) / "state")
        finally:
            agent.proc.stop()
    text = dumps(data)
    assert json.loads(text) == json.loads(json.dumps(data))
    if args.write:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN}: {len(data)} polls, {sum(len(p['results']) for p in data.values())} results")
    else:
        same = json.loads(GOLDEN.read_text(encoding="utf-8")) == json.loads(text)
        print("same as the golden file" if same else "DIFFERENT from the golden file")


if __name__ == "__main__":
    main()

"""`patrol inspect` output: results.json, a Markdown summary and the terminal table."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.textsafe import markdown_inline, terminal_text
from collectors.base import CheckResult, CheckRun, State

STATE_LABEL = {State.OK: "OK", State.WARN: "WARN", State.CRIT: "CRIT", State.UNKNOWN: "UNKNOWN"}
STATE_STYLE = {State.OK: "green", State.WARN: "yellow", State.CRIT: "bold red", State.UNKNOWN: "magenta"}
_ORDER = {State.CRIT: 0, State.UNKNOWN: 1, State.WARN: 2, State.OK: 3}


def sorted_results(runs: Sequence[CheckRun]) -> list[CheckResult]:
    results = [r for run in runs for r in run.results]
    return sorted(results, key=lambda r: (r.target, r.check, r.item))


def counts(runs: Sequence[CheckRun]) -> Counter[State]:
    return Counter(r.state for run in runs for r in run.results)


def result_json(result: CheckResult) -> dict[str, Any]:
    return {
        "target": result.target, "check": result.check, "item": result.item, "state": result.state.value,
        "summary": result.summary, "details": result.details,
        "metrics": [{"name": m.name, "value": m.value, "unit": m.unit, **({"labels": dict(m.labels)} if m.labels else {})}
                    for m in result.metrics],
        "observed_at": result.observed_at.isoformat(),
    }


def inspection_json(site: str, agent: str, started: datetime, finished: datetime, runs: Sequence[CheckRun],
                    tickets: str | None) -> dict[str, Any]:
    tally = counts(runs)
    return {
        "site": site,
        "agent": agent,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "state": State.worst(tally.keys()).value,
        "counts": {s.value: tally.get(s, 0) for s in State},
        "runs": [{"collector": r.collector, "target": r.target, "duration_s": round(r.duration_s, 4), "error": r.error}
                 for r in runs],
        "results": [result_json(r) for r in sorted_results(runs)],
        "tickets": tickets,
    }


def _md_cell(text: str) -> str:
    return markdown_inline(text)


def inspection_markdown(data: dict[str, Any]) -> str:
    lines = [
        f"# Inspection of {_md_cell(data['agent'])} (site {_md_cell(data['site'])})",
        "",
        f"- started: {data['started_at']}",
        f"- finished: {data['finished_at']}",
        f"- overall: **{data['state'].upper()}**: " + ", ".join(f"{n} {s}" for s, n in data["counts"].items()),
    ]
    if data.get("tickets"):
        lines.append(f"- tickets: {_md_cell(data['tickets'])}")
    problems = [r for r in data["results"] if r["state"] != "ok"]
    lines += ["", "## Problems", ""]
    if problems:
        lines += ["| state | target | check | item | summary |", "|---|---|---|---|---|"]
        lines += [f"| {r['state'].upper()} | {_md_cell(r['target'])} | {_md_cell(r['check'])} | {_md_cell(r['item'])} | {_md_cell(r['summary'])} |"
                  for r in sorted(problems, key=lambda r: _ORDER[State(r["state"])])]
    else:
        lines.append("None: every item passed.")
    lines += ["", "## All results", "", "| state | target | check | item | summary |", "|---|---|---|---|---|"]
    lines += [f"| {r['state'].upper()} | {_md_cell(r['target'])} | {_md_cell(r['check'])} | {_md_cell(r['item'])} | {_md_cell(r['summary'])} |"
              for r in data["results"]]
    return "\n".join(lines) + "\n"


def write_inspection(folder: Path, data: dict[str, Any]) -> tuple[Path, Path]:
    """Write results.json and summary.md into ``folder`` (atomically: temp file then rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "results.json", folder / "summary.md"
    for path, text in ((json_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n"),
                       (md_path, inspection_markdown(data))):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return json_path, md_path


def render_table(console: Any, runs: Sequence[CheckRun], title: str) -> None:
    from rich.table import Table

    table = Table(title=terminal_text(title), show_lines=False, expand=False)
    for column in ("state", "target", "check", "item", "summary"):
        # Words wrap at their boundaries; a word longer than the column ends in … (rich's
        # "fold" cut words mid-way at 80 columns). --wide prints every cell whole.
        table.add_column(column)
    for r in sorted(sorted_results(runs), key=lambda r: (_ORDER[r.state], r.target, r.check, r.item)):
        table.add_row(f"[{STATE_STYLE[r.state]}]{STATE_LABEL[r.state]}[/]", *(terminal_text(v) for v in
                                                                              (r.target, r.check, r.item, r.summary)))
    console.print(table)
    tally = counts(runs)
    parts = [f"[{STATE_STYLE[s]}]{tally.get(s, 0)} {STATE_LABEL[s]}[/]" for s in (State.CRIT, State.UNKNOWN, State.WARN, State.OK)]
    console.print("  ".join(parts))

"""Printers this computer uses (checklist item 5, 打印机是否正常使用).

Each local print queue must be ready: not paused, accepting jobs, no error condition
(paper, toner, jam, door, offline) and no job waiting longer than N minutes. The data
source is chosen by platform: CUPS over IPP on Linux, the spooler through WMI on Windows
(collectors/platforms/<platform>/printers.py); both give a ``PrintSystem``.

Checks: ``printers.spooler`` (the print system answers), ``printers.queue`` and
``printers.jobs`` with the queue name as item.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from collectors.base import CheckResult, CollectorIO, Metric, State, threshold_state
from collectors.platforms.detect import choose
from collectors.messages import COMMON, Messages, semicolons
from collectors.printing import reasons as reason_table
from collectors.printing.model import PrintJob, PrintQueue, PrintSystem
from config.checks.printers import PrintersParams
from inventory.models import Host, Inventory


@dataclass(frozen=True, slots=True)
class PrintersRaw:
    platform: str  # which source's parse reads ``payload``
    payload: Any


# The data source per platform (collectors/platforms/detect.py picks and imports it).
SOURCES = {"windows": "collectors.platforms.windows.printers", "linux": "collectors.platforms.linux.printers"}


def _state(text: str) -> State:
    return State.parse(text)


_QUEUE_STATES = ("idle", "processing", "stopped", "unknown")
MSG = Messages({
    "printers.queue.stopped": "queue stopped (paused)",
    "printers.queue.state_unknown": "queue state not reported",
    "printers.queue.not_accepting": "not accepting jobs",
    "printers.reason": "{phrase} ({keyword})",
    **{f"printers.reason.{keyword}": phrase for keyword, (_, phrase) in reason_table.REASONS.items()},
    "printers.queue.problems": "{queue}: {problems}",
    "printers.queue.ready": "{queue}: ready ({state})",
    **{f"printers.state.{state}": state for state in _QUEUE_STATES},
    "printers.queue.message": "{text} - {message}",
    "printers.jobs.errored": "{queue}: {n} job(s) in an error state ({why})",
    "printers.jobs.errored_stuck": "{queue}: {n} job(s) in an error state ({why}); {stuck} job(s) stuck, "
                                   "oldest waiting {minutes:.0f} min",
    "printers.jobs.stuck": "{queue}: {stuck} job(s) stuck, oldest waiting {minutes:.0f} min ({limits} min)",
    "printers.jobs.waiting": "{queue}: {n} job(s) waiting, oldest {minutes:.0f} min",
    "printers.jobs.none": "{queue}: no waiting jobs",
    "printers.spooler.none": "no print system: {detail}",
    "printers.spooler.stopped": "{source}: print spooler not running ({detail})",
    "printers.spooler.running": "{source}: {detail}, {n} queue(s) checked",
}, COMMON)


def wanted(name: str, params: PrintersParams) -> bool:
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in params.ignore_queues):
        return False
    return not params.queues or any(fnmatch.fnmatchcase(name, pattern) for pattern in params.queues)


def evaluate_queue(queue: PrintQueue, params: PrintersParams, target: str, now: datetime) -> CheckResult:
    overrides = {key: _state(value) for key, value in params.reason_states.items()}
    states, problems = [State.OK], []
    if queue.state == "stopped":
        states.append(_state(params.stopped_state))
        problems.append(MSG.ref("printers.queue.stopped"))
    elif queue.state == "unknown":
        states.append(State.UNKNOWN)
        problems.append(MSG.ref("printers.queue.state_unknown"))
    if not queue.accepting:
        states.append(_state(params.not_accepting_state))
        problems.append(MSG.ref("printers.queue.not_accepting"))
    for keyword in queue.reasons:
        state, phrase = reason_table.classify(keyword, overrides)
        if keyword == "paused" and queue.state == "stopped":
            continue  # already said
        states.append(state)
        if state is not State.OK:
            base = reason_table.split_suffix(keyword)[0]
            known = base in reason_table.REASONS and phrase == reason_table.REASONS[base][1]
            problems.append(MSG.ref("printers.reason", keyword=keyword,
                                    phrase=MSG.ref(f"printers.reason.{base}") if known else phrase))
    worst = State.worst(states)
    said = (MSG.say("printers.queue.problems", queue=queue.name, problems=semicolons(problems)) if problems else
            MSG.say("printers.queue.ready", queue=queue.name,
                    state=MSG.ref(f"printers.state.{queue.state}") if queue.state in _QUEUE_STATES else queue.state))
    if queue.message and worst is not State.OK:
        said = MSG.say("printers.queue.message", text=said.ref, message=queue.message)
    details = "\n".join(filter(None, [f"state: {queue.state}", f"accepting jobs: {'yes' if queue.accepting else 'no'}",
                                      f"reasons: {', '.join(queue.reasons) or 'none'}",
                                      f"message: {queue.message}" if queue.message else "",
                                      f"device: {queue.device}" if queue.device else ""]))
    return CheckResult("printers.queue", target, queue.name, worst, said.text, details, observed_at=now,
                       message=said.ref)


def evaluate_jobs(queue: str, jobs: Sequence[PrintJob], params: PrintersParams, target: str,
                  now: datetime) -> CheckResult:
    waiting = [j for j in jobs if params.count_held_jobs or j.state != "held"]
    dated = [(j, (now - j.created_at).total_seconds()) for j in waiting if j.created_at is not None]
    oldest_s = max((age for _, age in dated), default=0.0)
    limits = params.stuck_job_minutes
    state = threshold_state(oldest_s / 60, limits.warn, limits.crit)
    first_limit = min((v for v in (limits.warn, limits.crit) if v is not None), default=None)
    stuck = [j for j, age in dated if first_limit is not None and age / 60 >= first_limit]
    # A job the spooler put in an error state (job error, printer offline, out of paper,
    # blocked) will not print by waiting: it is a finding at once, not after the stuck limit.
    errored = [j for j in jobs if j.state == "stopped"]
    if errored:
        state = State.worst(state, State.parse(params.job_error_state))
    metrics = (Metric("queued_jobs_count", len(jobs), "count"), Metric("stuck_jobs_count", len(stuck), "count"),
               Metric("oldest_job_age_seconds", round(oldest_s, 1), "seconds"))
    if errored:
        why = ", ".join(sorted({r for j in errored for r in j.reasons}) or ["stopped"])  # IPP keywords
        if stuck:
            said = MSG.say("printers.jobs.errored_stuck", queue=queue, n=len(errored), why=why, stuck=len(stuck),
                           minutes=oldest_s / 60)
        else:
            said = MSG.say("printers.jobs.errored", queue=queue, n=len(errored), why=why)
    elif stuck:
        shown = ", ".join(f"{name} {v:g}" for name, v in (("warn", limits.warn), ("crit", limits.crit)) if v is not None)
        said = MSG.say("printers.jobs.stuck", queue=queue, stuck=len(stuck), minutes=oldest_s / 60, limits=shown)
    elif jobs:
        said = MSG.say("printers.jobs.waiting", queue=queue, n=len(jobs), minutes=oldest_s / 60)
    else:
        said = MSG.say("printers.jobs.none", queue=queue)
    details = "\n".join(f"job {j.job_id}: {j.state}" + (f" ({', '.join(j.reasons)})" if j.reasons else "")
                        + (f", since {j.created_at.isoformat(timespec='seconds')}" if j.created_at else "")
                        for j in jobs)
    return CheckResult("printers.jobs", target, queue, state, said.text, details, metrics, observed_at=now,
                       message=said.ref)


class PrintersCollector:
    name: ClassVar[str] = "printers"
    params_model: ClassVar[type[PrintersParams]] = PrintersParams

    def targets(self, params: PrintersParams, inventory: Inventory) -> Sequence[Host]:
        return (inventory.local,)

    def fetch(self, target: Host, params: PrintersParams, io: CollectorIO) -> PrintersRaw:
        if io.platform == "windows":
            return PrintersRaw("windows", choose("windows", SOURCES).fetch(io, params.request_timeout_s))
        return PrintersRaw("linux", choose("linux", SOURCES).fetch(params.server, params.request_timeout_s, io, os.environ))

    def parse(self, raw: PrintersRaw) -> PrintSystem:
        return choose(raw.platform, SOURCES).parse(raw.payload)

    def evaluate(self, model: PrintSystem, params: PrintersParams, target: Host,
                 now: datetime) -> Iterable[CheckResult]:
        if model.spooler_running is None:
            said = MSG.say("printers.spooler.none", detail=model.spooler_detail)
            yield CheckResult("printers.spooler", target.name, "", State.OK, said.text, observed_at=now,
                              message=said.ref)
            return
        if not model.spooler_running:
            said = MSG.say("printers.spooler.stopped", source=model.source, detail=model.spooler_detail)
            yield CheckResult("printers.spooler", target.name, "", State.CRIT, said.text, observed_at=now,
                              message=said.ref)
            return
        queues = [q for q in model.queues if wanted(q.name, params)]
        said = MSG.say("printers.spooler.running", source=model.source, detail=model.spooler_detail, n=len(queues))
        yield CheckResult("printers.spooler", target.name, "", State.OK, said.text,
                          details="\n".join(q.name for q in model.queues), observed_at=now, message=said.ref)
        for queue in queues:
            yield evaluate_queue(queue, params, target.name, now)
            yield evaluate_jobs(queue.name, [j for j in model.jobs if j.queue == queue.name], params, target.name, now)

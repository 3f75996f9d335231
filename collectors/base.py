"""The checks model: states, metrics, results and the collector contract.

A collector is one check family (system, antivirus, switch, ...). It works in three steps
that are each testable alone:

1. ``fetch(target, params, io)``: the only step that touches the world, through the clients
   in ``io``. It may be a plain function (run in a thread pool) or a coroutine function.
2. ``parse(raw)``: pure; turns the raw sample (text, JSON, varbinds) into a typed model.
3. ``evaluate(model, params, target, now)``: pure; yields ``CheckResult`` values, with
   thresholds from ``params``.

The runner (agent/runner.py) owns exceptions and timeouts: a collector never has to catch
"everything" itself, and a broken reply becomes an UNKNOWN result there.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from collectors.frozen import quick_init

if TYPE_CHECKING:  # imported for types only: collectors stay importable without a config
    from config.checks.base import CheckParams
    from inventory.models import Inventory, Target


class State(enum.Enum):
    """The state of one checked item.

    Deliberately not an IntEnum: states must not be compared or summed as numbers by
    accident. ``worst()`` orders them OK < WARN < UNKNOWN < CRIT (as Checkmk does: an
    unknown item may hide a failure, but a known failure is worse).
    """

    OK = "ok"
    WARN = "warn"
    CRIT = "crit"
    UNKNOWN = "unknown"

    @property
    def exporter_value(self) -> int:
        """The value of ``patrol_check_state``: 0 ok, 1 warn, 2 crit, 3 unknown."""
        return _EXPORTER_VALUE[self]

    @property
    def is_problem(self) -> bool:
        return self is not State.OK

    @classmethod
    def worst(cls, *states: State | Iterable[State]) -> State:
        """The worst of the given states; OK when none are given."""
        worst, rank = cls.OK, 0
        for item in states:
            for state in (item,) if isinstance(item, State) else item:
                # by value: an Enum member hashes in Python code (Enum.__hash__), a str in C
                severity = _SEVERITY_BY_VALUE[state._value_]
                if severity > rank:
                    worst, rank = state, severity
        return worst

    @classmethod
    def parse(cls, text: str) -> State:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"unknown state {text!r}: expected one of ok, warn, crit, unknown") from None


_SEVERITY_BY_VALUE = {State.OK.value: 0, State.WARN.value: 1, State.UNKNOWN.value: 2, State.CRIT.value: 3}
_EXPORTER_VALUE = {State.OK: 0, State.WARN: 1, State.CRIT: 2, State.UNKNOWN: 3}

# Base units in the Prometheus sense; a metric's name ends with its unit.
UNITS = frozenset({"", "bytes", "seconds", "ratio", "celsius", "percent", "days", "bits_per_second",
                   "packets_per_second", "rpm", "volts", "watts", "pages", "count", "total"})
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")  # Prometheus' label names
# Every exported sample carries these; a metric's own label must not replace them (a pushed
# one could otherwise file a value under another target).
RESERVED_LABELS = frozenset({"site", "target", "check", "item"})
_VALID_METRICS: set[tuple[str, str]] = set()  # (name, unit) pairs already checked (Metric.__post_init__)


@quick_init
@dataclass(frozen=True, slots=True)
class Metric:
    """One measured value, exported as ``patrol_<name>`` with the result's labels.

    ``name`` is snake_case and ends with ``unit`` when a unit is given
    (``disk_free_bytes``, ``signature_age_days``). ``labels`` adds labels beyond
    site/target/check/item (rarely needed: the item usually says it).
    """

    name: str
    value: float
    unit: str = ""
    labels: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.labels and (self.name, self.unit) in _VALID_METRICS:
            return  # checked before: a switch poll makes thousands of the same few metrics
        if not _METRIC_NAME.match(self.name):
            raise ValueError(f"metric name {self.name!r} must be snake_case ascii")
        if self.unit not in UNITS:
            raise ValueError(f"metric {self.name!r}: unit {self.unit!r} is not one of {sorted(UNITS)}")
        if self.unit and not self.name.endswith("_" + self.unit):
            raise ValueError(f"metric {self.name!r} must end with its unit '_{self.unit}'")
        for key, _value in self.labels:
            # One bad label name makes the whole /metrics page unparseable for Prometheus.
            if not _LABEL_NAME.match(key) or key.startswith("__") or key in RESERVED_LABELS:
                raise ValueError(f"metric {self.name!r}: label {key!r} is not a Prometheus label name or is one of "
                                 f"{sorted(RESERVED_LABELS)}")
        if not self.labels and len(_VALID_METRICS) < 4096:  # bounded: names are code, not data, but still
            _VALID_METRICS.add((self.name, self.unit))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@quick_init
@dataclass(frozen=True, slots=True)
class MessageRef:
    """A result's sentence as a message id and its parameters, for readers in other languages.

    ``summary`` stays the English sentence (logs, CLI, tickets, old readers); a report in
    another language renders ``id`` from its catalogue with ``params`` (see
    collectors/messages.py, which makes both from one English template). A parameter is
    device or OS text (a name, an error as the system printed it), a number (formatted by
    the template: ``{busy:.0f}``), or fixed wording that must be translated too, given as a
    nested ``MessageRef`` (or a tuple of them, joined with the language's list separator).
    """

    id: str
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, name: str) -> Any:
        return dict(self.params).get(name)


@quick_init
@dataclass(frozen=True, slots=True)
class CheckResult:
    """The state of one item of one check on one target at one time.

    ``check`` names the check ("system.disk", "antivirus.signatures"); ``item`` the thing
    inside the target ("/", "Gi1/0/48", "" when the check has a single item). Together
    with the site and target they form a finding's fingerprint, so they must be stable
    across runs: never put a value that changes (a percentage, a time) in them.
    """

    check: str
    target: str
    item: str
    state: State
    summary: str
    details: str = ""
    metrics: tuple[Metric, ...] = ()
    observed_at: datetime = field(default_factory=utcnow)
    message: MessageRef | None = None  # the summary as a message id + parameters (None: English only)

    def key(self) -> tuple[str, str, str]:
        return (self.target, self.check, self.item)


@dataclass(frozen=True, slots=True)
class CommandOutput:
    """What a command printed; ``stdout`` stays bytes so parsers decide the encoding."""

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes
    duration_s: float = 0.0

    def text(self, encoding: str = "utf-8") -> str:
        """stdout decoded; raises ``UnicodeDecodeError`` on bytes that are not ``encoding``."""
        return self.stdout.decode(encoding)


class CommandRunner(Protocol):
    """Runs a program (never through a shell) and returns what it printed.

    Raises ``FileNotFoundError`` when the program does not exist and
    ``TimeoutError`` when it runs longer than ``timeout`` seconds.
    """

    def __call__(self, argv: Sequence[str], *, timeout: float, input: bytes | None = None,
                 env: Mapping[str, str] | None = None) -> CommandOutput: ...


@dataclass(frozen=True)
class CollectorIO:
    """Everything a fetch step may touch, injected so tests can swap any part.

    ``fs_root`` is the root for /proc, /sys, /etc and /var reads (a checked-in folder in
    tests); ``state_dir`` is Patrol's own writable folder (config backups live there);
    ``resolve_secret`` turns a config secret reference into its value at the last moment.
    """

    run: CommandRunner
    fs_root: Path = Path("/")
    state_dir: Path = Path("var")
    platform: str = "linux"  # "linux" | "windows"; see collectors/platforms/detect.py
    clock: Callable[[], datetime] = utcnow
    resolve_secret: Callable[[Any], str] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # shared clients (SNMP engine, ...)

    def path(self, absolute: str) -> Path:
        """An absolute system path (``/proc/uptime``) below ``fs_root``."""
        return self.fs_root / absolute.lstrip("/")


@runtime_checkable
class Collector(Protocol):
    """One check family; registered under the ``patrol.collectors`` entry-point group.

    ``name`` is also its key under ``checks:`` in the config. ``params_model`` is the
    pydantic model of its settings (a subclass of ``config.checks.base.CheckParams``).
    """

    name: ClassVar[str]
    params_model: ClassVar[type[CheckParams]]

    def targets(self, params: CheckParams, inventory: Inventory) -> Sequence[Target]:
        """The targets this family checks in this run (the local host for endpoint checks)."""
        ...

    def fetch(self, target: Target, params: CheckParams, io: CollectorIO) -> Any | Awaitable[Any]: ...

    def parse(self, raw: Any) -> Any: ...

    def evaluate(self, model: Any, params: CheckParams, target: Target,
                 now: datetime) -> Iterable[CheckResult]: ...


class FetchError(Exception):
    """A fetch that could not get its data, with a message an engineer understands.

    The runner turns it into an UNKNOWN result carrying exactly this message (no
    traceback), so say what failed and why: "PowerShell not found", "access denied to
    root/SecurityCenter2", "no answer from 10.0.0.1 within 2 s".
    """


class ParseError(ValueError):
    """A reply that does not have the expected shape; becomes an UNKNOWN result."""


def threshold_state(value: float, warn: float | None, crit: float | None, *, higher_is_worse: bool = True) -> State:
    """OK/WARN/CRIT for ``value`` against optional thresholds (crit wins)."""
    if higher_is_worse:
        if crit is not None and value >= crit:
            return State.CRIT
        if warn is not None and value >= warn:
            return State.WARN
    else:
        if crit is not None and value <= crit:
            return State.CRIT
        if warn is not None and value <= warn:
            return State.WARN
    return State.OK


@dataclass(frozen=True, slots=True)
class CheckRun:
    """One run of one collector against one target, as the runner saw it.

    ``error`` is the one-line reason when the run itself failed (exception, timeout); the
    runner then puts a single UNKNOWN result in ``results``.
    """

    collector: str
    target: str
    started_at: datetime
    duration_s: float
    results: tuple[CheckResult, ...]
    error: str | None = None

    @property
    def state(self) -> State:
        return State.worst(r.state for r in self.results)

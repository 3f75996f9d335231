"""collectors/frozen.py: the quicker __init__ of frozen slotted dataclasses makes the same
objects as the one dataclasses writes, keeps them frozen, and refuses classes it cannot copy."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from datetime import datetime, timezone

import pytest

from collectors.base import CheckResult, MessageRef, Metric, State
from collectors.frozen import quick_init
from collectors.messages import Said
from collectors.snmp.ports import PortRates, PortSample
from collectors.switch import Port

T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
SAMPLE = PortSample("10101", "Gi0/1", "GigabitEthernet0/1", 6, 1, 1, 1e9, True, (1, 2, 3, None, 5, 6))
ARGS = {
    Metric: [("port_in_bits_per_second", 1.5, "bits_per_second"), ("ports_count", 3), ("x", 2.0, "", (("k", "v"),))],
    MessageRef: [("switch.port.up",), ("switch.port", (("parts", (MessageRef("a"), "1 Gbit/s")),))],
    CheckResult: [("switch.port", "sw", "Gi0/1", State.WARN, "up", "d", (Metric("ports_count", 1, "count"),), T0,
                   MessageRef("switch.port.up")), ("switch", "sw", "", State.OK, "ok", "", (), T0)],
    Said: [("up", MessageRef("switch.port.up"))],
    PortSample: [tuple(getattr(SAMPLE, f.name) for f in dataclasses.fields(PortSample))],
    PortRates: [(), (1.0, None, 0.0, None, "note")],
    Port: [(SAMPLE, 1, PortRates(), True)],
}


@pytest.mark.parametrize("cls", list(ARGS), ids=lambda c: c.__name__)
def test_the_same_objects_as_the_dataclass_init(cls) -> None:
    generated = cls.__init__.dataclass_init
    # as text: a default factory shows as <factory> in both (each has its own marker object)
    assert str(inspect.signature(cls.__init__)) == str(inspect.signature(generated))
    for args in ARGS[cls]:
        quick = cls(*args)
        slow = object.__new__(cls)
        generated(slow, *args)
        assert quick == slow and hash(quick) == hash(slow) and repr(quick) == repr(slow)
        assert [type(getattr(quick, f.name)) for f in dataclasses.fields(cls)] == \
               [type(getattr(slow, f.name)) for f in dataclasses.fields(cls)]
        keywords = {f.name: getattr(quick, f.name) for f in dataclasses.fields(cls)}
        assert cls(**keywords) == quick
        assert pickle.loads(pickle.dumps(quick)) == quick
        assert dataclasses.replace(quick) == quick
        field = dataclasses.fields(cls)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(quick, field, None)


def test_defaults_factories_and_post_init_still_apply() -> None:
    result = CheckResult("c", "t", "", State.OK, "s")
    assert (result.details, result.metrics, result.message) == ("", (), None)
    assert abs((datetime.now(timezone.utc) - result.observed_at).total_seconds()) < 60  # default factory: now
    with pytest.raises(ValueError, match="snake_case"):  # Metric.__post_init__ still checks names
        Metric("Bad-Name", 1.0)
    with pytest.raises(ValueError, match="label"):
        Metric("x_count", 1.0, "count", (("site", "other"),))
    with pytest.raises(TypeError):
        Metric("x_count")  # a field without a default is still required


def test_refuses_what_it_cannot_copy() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class KeywordOnly:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithInitVar:
        a: int
        b: dataclasses.InitVar[int] = 0

    @dataclasses.dataclass(frozen=True, slots=True)
    class NotInInit:
        a: int
        b: int = dataclasses.field(default=0, init=False)

    for cls in (NoSlots, NotFrozen, KeywordOnly, WithInitVar, NotInInit):
        with pytest.raises(TypeError, match="quick_init"):
            quick_init(cls)

"""agent/store/bulk.metrics_text writes exactly what json.dumps of metric_json writes."""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from agent.store.bulk import metric_json, metrics_text
from collectors.base import Metric

names = st.sampled_from([("port_in_bits_per_second", "bits_per_second"), ("ports_count", "count"),
                         ("cpu_percent", "percent"), ("temperature_celsius", "celsius"), ("uptime_seconds", "seconds")])
values = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-2**70, max_value=2**70),
                   st.booleans())
labels = st.lists(st.tuples(st.sampled_from(["sensor", "slot", "lane"]), st.text(max_size=8)), max_size=3).map(tuple)
metrics = st.builds(lambda nu, v, lb: Metric(nu[0], v, nu[1], lb), names, values, labels)


@given(st.lists(metrics, max_size=6))
@example([])
@example([Metric("port_in_bits_per_second", float("nan"), "bits_per_second")])
@example([Metric("temperature_celsius", 41.5, "celsius", (("sensor", "机箱 \"进风\"\t\\"),))])
@example([Metric("ports_count", 48, "count"), Metric("ports_count", 1e300, "count")])
def test_the_same_text_as_json_dumps(ms):
    assert metrics_text(ms) == json.dumps([metric_json(m) for m in ms])


def test_a_metric_without_unit_or_labels_has_neither_key():
    text = metrics_text([Metric("answers", 1.0)])
    assert json.loads(text) == [{"name": "answers", "value": 1.0}]

"""A platform's delivery series looked up once count into the same series the exposition shows."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot import metrics

NAMES = ("paperbot_posts_sent_total", "paperbot_parts_sent_total", "paperbot_parts_failed_total",
         "paperbot_delivery_lag_seconds_count")


def value(name: str, platform: str) -> float:
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels.get("platform") == platform:
                return float(sample.value)
    return 0.0


def test_a_platforms_series_count_as_its_labelled_series():
    series = metrics.delivery_series("test-platform")
    before = [value(n, "test-platform") for n in NAMES]
    series.posts_sent.inc()
    series.parts_sent.inc(2)
    series.parts_failed.inc()
    series.delivery_lag.observe(3.0)
    metrics.parts_sent.labels("test-platform").inc()
    after = [value(n, "test-platform") for n in NAMES]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 3, 1, 1]

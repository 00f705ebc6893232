"""Prometheus metrics. Message and report figures are read from the store at scrape time, so every
gateway process reports the same totals; HTTP errors are counted per process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from store import Database
from store.stats import message_counts, report_counts

disable_created_metrics()  # *_created series only add noise here


class StoreCollector(Collector):
    def __init__(self, db: Database):
        self.db = db

    def collect(self):
        up = GaugeMetricFamily("lapor_store_up", "1 when the store answered this scrape")
        try:
            inbound, outbound = message_counts(self.db)
            reports = report_counts(self.db)
        except Exception:  # a scrape must still answer, saying the store is down
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        received = CounterMetricFamily("lapor_messages_received", "Messages received", labels=["channel"])
        for channel, count in sorted(inbound.items()):
            received.add_metric([channel], count)
        yield received
        sent = CounterMetricFamily("lapor_messages_outbound", "Outbound messages by state", labels=["channel", "status"])
        for (channel, status), count in sorted(outbound.items()):
            sent.add_metric([channel, status], count)
        yield sent
        by_status = GaugeMetricFamily("lapor_reports", "Reports by status and priority", labels=["status", "priority"])
        for (status, priority), count in sorted(reports.items()):
            by_status.add_metric([status, priority], count)
        yield by_status


class Metrics:
    def __init__(self, db: Database):
        self.registry = CollectorRegistry()
        self.registry.register(StoreCollector(db))
        self.http_errors = Counter(
            "lapor_http_errors", "HTTP responses with an error status", ["status"], registry=self.registry
        )
        self.unhandled = Counter(
            "lapor_unhandled_exceptions", "Requests that failed with an unexpected exception", registry=self.registry
        )

"""The one publisher: persistent messages, publisher confirms, bounded retry with back-off.

A publish returns only once the broker has taken responsibility for the message; any failure
raises, so the outbox keeps the event and the relay tries again later.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from kombu import Connection, Exchange, Producer
from opentelemetry.trace import SpanKind

from passage import metrics, tracing
from passage.bus.connection import broker_connection
from passage.bus.topology import Topology

log = logging.getLogger(__name__)

RETRY_POLICY = {"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2.0}


class Publisher:
    """Thread-safe; connects lazily in the process that publishes (fork-safe)."""

    def __init__(self, broker_url: str, topology: Topology) -> None:
        self.broker_url = broker_url
        self.topology = topology
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._pid: int | None = None
        self._declared = False

    def _producer(self) -> Producer:
        if self._connection is None or self._pid != os.getpid():
            self._connection = broker_connection(self.broker_url)
            self._pid = os.getpid()
            self._declared = False
        if not self._declared:
            channel = self._connection.default_channel
            self.topology.declare(channel)
            self._declared = True
        return Producer(self._connection.default_channel)

    def publish_event(self, envelope: Mapping[str, Any]) -> None:
        """Publish one envelope to ``<source>.events`` with routing key ``<type>.v<version>``."""
        exchange = self.topology.events_exchange(envelope["source"])
        routing_key = f"{envelope['type']}.v{envelope['version']}"
        with tracing.continued(
            f"publish {envelope['type']}", envelope.get("traceparent"), kind=SpanKind.PRODUCER
        ):
            self.publish_raw(
                json.dumps(dict(envelope)).encode(),
                exchange,
                routing_key,
                message_id=envelope["id"],
            )
        metrics.events_published.labels(envelope["type"]).inc()

    def publish_raw(
        self,
        body: bytes,
        exchange: Exchange,
        routing_key: str,
        *,
        message_id: str | None = None,
        headers: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Publish bytes as they are (dead-lettering and replay keep the original body)."""
        with self._lock:
            try:
                producer = self._producer()
                producer.publish(
                    body,
                    exchange=exchange,
                    routing_key=routing_key,
                    content_type=content_type,
                    content_encoding="utf-8",
                    delivery_mode=2,
                    message_id=message_id,
                    headers=dict(headers or {}),
                    retry=True,
                    retry_policy=RETRY_POLICY,
                )
            except Exception:
                self._reset()
                raise

    def ping(self) -> bool:
        """True when the broker accepts a connection; used by /readyz."""
        try:
            with self._lock:
                conn = broker_connection(self.broker_url)
                try:
                    conn.ensure_connection(max_retries=1, timeout=2)
                finally:
                    conn.release()
            return True
        except Exception:
            return False

    def _reset(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # closing a broken connection may fail again; nothing to do
                pass
        self._connection = None
        self._declared = False

    def close(self) -> None:
        with self._lock:
            self._reset()

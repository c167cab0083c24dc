"""One trace per case across HTTP and the bus: OpenTelemetry set up once per process.

Every process gets an SDK tracer provider, so a trace context (W3C ``traceparent``) exists for
each request and each consumed event and its ids reach the JSON log lines even when nothing is
exported. Export follows the standard variables: ``OTEL_TRACES_EXPORTER`` (``none`` by default;
``console``, or ``otlp`` when opentelemetry-exporter-otlp is installed), ``OTEL_SERVICE_NAME``,
``OTEL_EXPORTER_OTLP_*``; ``OTEL_SDK_DISABLED=true`` turns it all off (no ids in logs). Flask
requests continue an incoming ``traceparent``; the gateway's hop to a service carries it
(:func:`inject`); envelopes carry it through the outbox and the bus (see
:mod:`passage.bus.outbox` and :mod:`passage.bus.consumer`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

log = logging.getLogger(__name__)
EXCLUDED_URLS = "healthz,readyz,metrics,openapi.json"
_lock = threading.Lock()
_configured: list[str] = []
tracer = trace.get_tracer("passage")


def configure_tracing(service: str) -> None:
    """Install the tracer provider (idempotent, per process)."""
    with _lock:
        if _configured:
            return
        if disabled():
            _configured.append("")  # the standard switch: no provider, no instrumentation, no ids
            return
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider

        name = os.environ.get("OTEL_SERVICE_NAME") or f"passage-{service}"
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        for exporter in _exporters():
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        _configured.append(name)


def disabled() -> bool:
    """``OTEL_SDK_DISABLED=true`` turns tracing off entirely (used to measure what it costs)."""
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def _exporters() -> list[Any]:
    """The exporters ``OTEL_TRACES_EXPORTER`` names (comma-separated); ``none`` (the default) is
    none."""
    names = [
        n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", "none").split(",") if n.strip()
    ]
    found = []
    for name in names:
        if name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            found.append(ConsoleSpanExporter())
        elif name == "otlp":
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            except ImportError:
                log.warning(
                    "OTEL_TRACES_EXPORTER=otlp but opentelemetry-exporter-otlp is not installed"
                )
                continue
            found.append(OTLPSpanExporter())
        elif name != "none":
            log.warning("unknown trace exporter ignored", extra={"exporter": name})
    return found


def instrument_flask(app: Any, service: str) -> None:
    """Continue the caller's trace (``traceparent``) in every request of ``app``; probes
    excluded."""
    configure_tracing(service)
    if disabled():
        return
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor().instrument_app(app, excluded_urls=EXCLUDED_URLS)


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the work in hand, or None outside any trace."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent")


def inject(headers: dict[str, str]) -> None:
    """Add the work in hand's trace (``traceparent``, ``tracestate``) to outgoing ``headers``."""
    propagate.inject(headers)


def current_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hex for log lines, or None outside any trace."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


@contextlib.contextmanager
def continued(
    name: str,
    traceparent: str | None,
    attributes: Mapping[str, str] | None = None,
    kind: trace.SpanKind = trace.SpanKind.CONSUMER,
) -> Iterator[None]:
    """A span that continues the trace ``traceparent`` names (a new trace when there is none)."""
    parent = propagate.extract({"traceparent": traceparent} if traceparent else {})
    token = otel_context.attach(parent)
    try:
        with tracer.start_as_current_span(name, kind=kind, attributes=dict(attributes or {})):
            yield
    finally:
        otel_context.detach(token)

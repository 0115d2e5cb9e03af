"""OpenTelemetry set-up (exporter chosen by configuration) and W3C trace context on Kafka headers."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

_configured = False


def configure_tracing(service: str, exporter: str = "none") -> None:
    """Install a tracer provider once per process; `none` still creates real spans (for log ids)."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True


def current_trace_headers() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span, to store or send with an event."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Iterable[tuple[str, bytes]] | None) -> otel_context.Context:
    carrier = {}
    for name, value in headers or ():
        if name in ("traceparent", "tracestate"):
            carrier[name] = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return propagate.extract(carrier)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)

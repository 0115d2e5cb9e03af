"""OpenTelemetry set-up (exporter chosen by configuration) and W3C trace context on Kafka headers."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode

_configured = False


def configure_tracing(service: str, exporter: str = "none", directory: Path | str | None = None) -> None:
    """Install a tracer provider once per process; `none` still creates real spans (for log ids). `file`: JSON
    lines of the finished spans in `directory`/<service>.jsonl (FileSpanExporter), what `devstack traces` reads."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    chosen: SpanExporter | None = None
    if exporter == "file":
        chosen = FileSpanExporter(Path(directory or ".stack/traces") / f"{service}.jsonl")
    elif exporter == "console":
        chosen = ConsoleSpanExporter()
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        chosen = OTLPSpanExporter()
    if chosen is not None:
        provider.add_span_processor(BatchSpanProcessor(WithoutExceptionMessages(chosen)))
    trace.set_tracer_provider(provider)
    _configured = True


class FileSpanExporter(SpanExporter):
    """Finished spans as JSON lines in one file per service (`make run`: .stack/traces/<service>.jsonl), read by
    `devstack traces` without Docker or a collector. Bounded: past `max_bytes` the file becomes `<name>.1` (the
    previous `.1` is dropped) and a new one starts, so a process keeps at most twice `max_bytes`. Each line: ids
    (hex), parent, service, name, kind, start (ns since the epoch), duration (ms), status, attributes, links; the
    spans carry route templates and event types only (RequestSpans, the consumer), never a path or a payload."""

    def __init__(self, path: Path | str, *, max_bytes: int = 20 * 1024 * 1024) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(span_record(span), separators=(",", ":"), default=str) + "\n" for span in spans)
        try:
            with self._lock:
                if self.path.exists() and self.path.stat().st_size >= self.max_bytes:
                    os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(lines)
        except OSError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


# What OpenTelemetry's SDK records of an exception that leaves a span, beyond its class (`exception.type`): its message
# and traceback, which may hold personal data (asyncpg quotes a row's values, pydantic the input).
_EXCEPTION_DETAILS = frozenset({"exception.message", "exception.stacktrace"})


class WithoutExceptionMessages(SpanExporter):
    """Wraps the exporter every service uses (configure_tracing): a span leaves the process without any exception's
    message or traceback. A span that an exception left (the consumer's, a send's) has by default an `exception`
    event with both and a status description `Class: message`; what is exported keeps the event with
    `exception.type` and the error status, nothing else of it."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.export([without_exception_messages(span) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def without_exception_messages(span: ReadableSpan) -> ReadableSpan:
    """`span` as it may leave the process: its exception events without message or traceback, its status without
    description (the same span when it has neither)."""
    events = span.events
    if span.status.description is None and not any(_EXCEPTION_DETAILS & set(event.attributes or ()) for event in events):
        return span
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=[
            Event(event.name, {k: v for k, v in (event.attributes or {}).items() if k not in _EXCEPTION_DETAILS}, event.timestamp)
            for event in events
        ],
        links=span.links,
        kind=span.kind,
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def span_record(span: ReadableSpan) -> dict[str, Any]:
    """One finished span as FileSpanExporter writes it."""
    context = span.get_span_context()
    parent = span.parent
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
        "parent_id": format(parent.span_id, "016x") if parent is not None else None,
        "service": span.resource.attributes.get("service.name"),
        "name": span.name,
        "kind": span.kind.name,
        "start": span.start_time,
        "duration_ms": round(((span.end_time or span.start_time or 0) - (span.start_time or 0)) / 1e6, 3),
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "links": [
            {"trace_id": format(link.context.trace_id, "032x"), "span_id": format(link.context.span_id, "016x")} for link in span.links
        ],
    }


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


# FastAPI's own OpenTelemetry (since 0.16x) is off for every app (`FastAPI(telemetry=NATIVE_TELEMETRY_OFF)`): it
# made a second server span per request with the path itself (`url.path`: member numbers, codes), a span per
# dependency, endpoint and serialisation, and logs of exception messages. `RequestSpans` makes the one span.
NATIVE_TELEMETRY_OFF = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


# Paths neither traced nor timed: probes, metrics, and the gateway's long poll of a read model's version
# (`extranet_plumbing.read_cache.VERSION_PATH`: a request held seconds by design, every few seconds).
UNOBSERVED_PATHS = ("/health/", "/metrics", "/internal/read-model/version")


class RequestSpans:
    """ASGI middleware: one server span per HTTP request, named `METHOD /route/{template}` once the router has
    chosen the route (`scope["route"]`), child of the caller's trace context (W3C `traceparent`), with the
    method, the route template and the status; an exception is recorded on it. Never the path or the query
    itself: they may hold personal data (a member number, a NIR, a code).

    In place of opentelemetry-instrumentation-fastapi, which matched the request against every route again to name
    its span before routing and collected a dozen attributes (the path among them), and of FastAPI's own
    telemetry (NATIVE_TELEMETRY_OFF). In-process, 64 concurrent requests: the gateway's CPU for a company's detail
    0.68 -> 0.44 ms; portfolio's for a kept detail 0.50 -> 0.25 ms."""

    def __init__(self, app: Any, *, excluded: tuple[str, ...] = UNOBSERVED_PATHS) -> None:
        self.app = app
        self._excluded = excluded
        self._tracer = trace.get_tracer("extranet_plumbing.http")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self._excluded):
            await self.app(scope, receive, send)
            return
        carrier = {}
        for name, value in scope.get("headers") or ():
            if name in (b"traceparent", b"tracestate"):
                carrier[name.decode()] = value.decode("latin-1")
        method = scope["method"]
        with self._tracer.start_as_current_span(
            method, context=propagate.extract(carrier), kind=SpanKind.SERVER, attributes={"http.request.method": method}
        ) as span:

            async def sent(message: Any) -> None:
                if message["type"] == "http.response.start":
                    status = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            try:
                await self.app(scope, receive, sent)
            finally:
                template = getattr(scope.get("route"), "path", None)
                if template:
                    span.update_name(f"{method} {template}")
                    span.set_attribute("http.route", template)

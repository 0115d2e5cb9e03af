"""One server span per HTTP request (`extranet_plumbing.tracing.RequestSpans`, installed by install_conventions):
named after the route's template, child of the caller's trace, with its status — and never the path's values."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI, HTTPException
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from extranet_plumbing.http import install_conventions
from extranet_plumbing.tracing import NATIVE_TELEMETRY_OFF, configure_tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def app_and_spans() -> tuple[FastAPI, InMemorySpanExporter]:
    configure_tracing("test")
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI(telemetry=NATIVE_TELEMETRY_OFF)  # as every Service's app
    router = APIRouter(prefix="/internal")

    @router.get("/members/{member_number}")
    async def member(member_number: str) -> dict:
        if member_number == "00000000":
            raise HTTPException(404, "Adhérent introuvable.")
        if member_number == "99999999":
            raise RuntimeError("broken")
        return {"ok": True}

    app.include_router(router)
    install_conventions(app)
    return app, exporter


def spans_of(exporter: InMemorySpanExporter) -> list:
    return [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]


async def test_a_request_is_one_span_named_by_its_route_in_the_callers_trace():
    app, exporter = app_and_spans()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://s") as client:
        assert (await client.get("/internal/members/73000042", headers={"traceparent": CALLER})).status_code == 200
        assert (await client.get("/internal/members/00000000")).status_code == 404
        assert (await client.get("/internal/members/99999999")).status_code == 500
        assert (await client.get("/health/live")).status_code == 200  # not traced
    ok, missing, broken = spans_of(exporter)
    assert ok.name == missing.name == broken.name == "GET /internal/members/{member_number}"
    assert format(ok.context.trace_id, "032x") == TRACE_ID and format(ok.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert dict(ok.attributes) == {
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "http.route": "/internal/members/{member_number}",
    }
    assert missing.attributes["http.response.status_code"] == 404 and missing.status.status_code != StatusCode.ERROR
    assert broken.status.status_code == StatusCode.ERROR and broken.attributes["error.type"] == "RuntimeError"
    assert not broken.events  # the exception's message and stack are not recorded (test_unexpected_errors.py)
    for span in (ok, missing, broken):  # the member numbers of the paths are nowhere in the spans
        assert "7300" not in str(dict(span.attributes)) and "0000" not in str(dict(span.attributes)) + span.name

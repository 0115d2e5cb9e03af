"""An error nothing handled (`extranet_plumbing.http.UnexpectedErrors`, installed by install_conventions): the
caller gets the French problem document, the log says the error's class and the route's template — never the
exception's message, its traceback or their locals (a NIR, an IBAN, a name), neither in our log line nor in
uvicorn's (« Exception in ASGI application »), and the request's span carries `error.type`, not the message."""

from __future__ import annotations

import logging

import httpx
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from extranet_plumbing.http import install_conventions
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.testing import logging_configured, served
from extranet_plumbing.tracing import NATIVE_TELEMETRY_OFF, configure_tracing

NIR = "2 85 05 2A 045 123 64"  # Corse-du-Sud
IBAN = "FR76 3000 6000 0112 3456 7890 189"
SECRETS = (NIR, NIR.replace(" ", ""), "045 123", IBAN, IBAN.replace(" ", ""), "DURAND", "73000042")


def make_app() -> FastAPI:
    app = FastAPI(telemetry=NATIVE_TELEMETRY_OFF)

    @app.get("/internal/members/{member_number}/beneficiaries")
    async def beneficiaries(member_number: str) -> dict:
        beneficiary = {"name": "Léa DURAND", "nir": NIR, "iban": IBAN}  # a local the traceback's frames hold
        raise ValueError(f"beneficiary {beneficiary} of {member_number} has no valid NIR {NIR}")

    install_conventions(app)
    return app


async def test_a_failing_route_logs_its_class_and_route_never_the_message(capsys, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="httpx")  # the test's own client, which logs the address it asks
    with logging_configured():
        async with served(ServiceSettings(), make_app()) as url, httpx.AsyncClient(base_url=url) as client:
            answer = await client.get("/internal/members/73000042/beneficiaries")
    assert answer.status_code == 500 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] and not any(secret in answer.text for secret in SECRETS)

    printed = capsys.readouterr()
    output = printed.out + printed.err
    assert '"error_class": "ValueError"' in output and '"route": "/internal/members/{member_number}/beneficiaries"' in output
    assert not any(secret in output for secret in SECRETS), output
    assert "Traceback" not in output and "Exception in ASGI application" not in output and "[REDACTED]" not in output
    # Before any formatting or redaction: no record carries the exception (uvicorn's would) or its text.
    assert not [record for record in caplog.records if record.exc_info]
    assert not [record for record in caplog.records if any(secret in record.getMessage() for secret in SECRETS)]


async def test_the_span_carries_the_error_class_not_the_exception():
    configure_tracing("test")
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(make_app()), base_url="http://s") as client:  # raises what the app raises
        assert (await client.get("/internal/members/73000042/beneficiaries")).status_code == 500
    (span,) = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert span.attributes["error.type"] == "ValueError" and span.name == "GET /internal/members/{member_number}/beneficiaries"
    assert not span.events  # no « exception » event: its message and stack would hold the NIR

"""A send that fails in a way nobody planned (a library's surprise, a bug) is logged by its class and where it was
raised, never its message, which may quote the number, the address or the text with its code; the delivery is tried
again and goes out once; each attempt's span says what came of it, in the request's trace (issue 14's audit)."""

from __future__ import annotations

import json

from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from extranet_contracts import Envelope
from extranet_plumbing.testing import logging_configured
from extranet_plumbing.tracing import WithoutExceptionMessages, configure_tracing, current_trace_headers, span_record

CODE, PHONE, EMAIL = "739201", "+33612345678", "lea.durand@example.fr"


class SurprisedOnce:
    """The real SMS adapter, whose first send fails with an error quoting what it was given."""

    def __init__(self, sms) -> None:
        self._sms = sms
        self.surprised = False

    async def send(self, to: str, body: str, sender: str) -> str:
        if not self.surprised:
            self.surprised = True
            raise RuntimeError(f"unexpected answer sending {body!r} to {to} for {EMAIL}")
        return await self._sms.send(to, body, sender)

    def __getattr__(self, name: str):
        return getattr(self._sms, name)


async def test_an_unexpected_send_failure_is_logged_without_the_number_the_address_or_the_code(start_service, kit, smsbox, capsys):
    configure_tracing("test")
    exported = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(WithoutExceptionMessages(exported)))
    with logging_configured():
        service = await start_service(wrap_sms=SurprisedOnce)
        event = kit.notification(
            "member_activation_code", email=EMAIL, phone="06 12 34 56 78", channels=("sms",), code=CODE, expires_in_minutes=5
        )
        with trace.get_tracer("test").start_as_current_span("POST /public/members/activation") as asked:
            traced = Envelope(
                type=event.TYPE, version=event.VERSION, source="urn:test", tenant="mbtp", key=event.key(), **current_trace_headers()
            )
        envelope = await kit.request(event, envelope=traced)
        row = await kit.wait_status(service, envelope.id, "delivered")
    assert row["attempts"] == 2 and [sms["to"] for sms in smsbox.messages] == [PHONE]
    out = capsys.readouterr().out
    logged = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    [failed] = [line for line in logged if line["event"] == "unexpected error while sending"]
    assert failed["error_class"] == "RuntimeError" and failed["error_at"].endswith(" in send"), failed
    [retried] = [line for line in logged if line["event"] == "notification will be retried"]
    assert retried["reason"] == "unexpected RuntimeError"
    sends = [span_record(s) for s in exported.get_finished_spans() if s.name == "notification sms send"]
    assert [(s["attributes"]["notification.outcome"], s["status"], s["attributes"]["notification.attempt"]) for s in sends] == [
        ("retried", "ERROR", 1),
        ("delivered", "UNSET", 2),
    ]
    assert {s["trace_id"] for s in sends} == {format(asked.get_span_context().trace_id, "032x")}
    spans = json.dumps([span_record(s) for s in exported.get_finished_spans()])
    for value in (CODE, PHONE, "0612345678", "06 12 34 56 78", EMAIL, "lea.durand", "unexpected answer"):
        assert value not in out, value
        assert value not in spans, value

"""One trace from a portal's call to the SMTP send (issue 14): the portals' gateway client sends `traceparent`, the
gateway passes it to identity, identity's outbox keeps it with NotificationRequested, the relay puts it on the Kafka
headers, notifications' consumer and sender continue it. Spans written by the `file` exporter, then printed as a tree
by `devstack traces`."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from portals.adapters.gateway import GatewayClient

from devstack.cli import main as devstack
from extranet_plumbing.testing import wait_until
from extranet_plumbing.tracing import FileSpanExporter, configure_tracing
from identity.adapters.captcha import TEST_SOLUTION
from tests.system.test_codes_arrive import MEMBER, legacy_event, mail_to, notifications  # noqa: F401  (notifications: a fixture)

ACTIVATION = "/api/members/activation"


def spans_of(path, trace_id: str) -> list[dict]:
    if not path.exists():
        return []
    return [span for span in map(json.loads, path.read_text().splitlines()) if span["trace_id"] == trace_id]


@pytest.mark.usefixtures("notifications")
async def test_a_member_activation_is_one_trace_from_the_portal_to_the_smtp_send(
    platform, mailbox, kafka_producer, topic_prefix, tmp_path, capsys
):
    configure_tracing("test")  # one provider for the whole test process: its spans also go to this test's file
    path = tmp_path / "traces" / "platform.jsonl"
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(FileSpanExporter(path)))
    await legacy_event(platform, kafka_producer, topic_prefix, MEMBER)
    portal = GatewayClient(httpx.AsyncClient(transport=httpx.ASGITransport(platform.gateway_service.app), base_url="http://gateway"))

    # The portal's page (its RequestSpans span) asks the gateway through its client.
    with trace.get_tracer("extranet_plumbing.http").start_as_current_span("POST /{tenant}/adherent/activation") as page:
        await portal.call(
            "POST", ACTIVATION, json={"member_number": "73000077", "contact": "lea.durand@orange.fr", "captcha": TEST_SOLUTION}
        )
    await portal.close()
    trace_id = format(page.get_span_context().trace_id, "032x")
    await wait_until(lambda: mail_to(mailbox, "lea.durand@orange.fr", "ACTIVER VOTRE ESPACE PAR CODE EMAIL"), timeout=30)
    sent = await wait_until(lambda: [s for s in spans_of(path, trace_id) if s["name"] == "notification email send"], timeout=10)

    spans = spans_of(path, trace_id)
    by_id = {span["span_id"]: span for span in spans}

    def chain(span: dict) -> list[str]:
        names = []
        while span is not None:
            names.append(span["name"])
            span = by_id.get(span["parent_id"])
        return names[::-1]

    # The SMTP send's ancestors, one unbroken chain: portal page, gateway route, identity's route (which wrote the
    # event to its outbox), notifications' consumer (the event through Kafka), the send.
    # The SMTP send's ancestors, one unbroken chain: the portal's page, the gateway's route, identity's (which wrote
    # NotificationRequested to its outbox: the send continues the trace kept with it, through Kafka and the delivery).
    assert chain(sent[0]) == [
        "POST /{tenant}/adherent/activation",
        "POST /api/members/activation",
        "POST /public/members/activation",
        "notification email send",
    ]
    identity_span = by_id[sent[0]["parent_id"]]
    assert by_id[identity_span["parent_id"]]["kind"] == identity_span["kind"] == "SERVER"
    # Notifications' consumer took the event in the same trace (its span continues identity's from the Kafka headers).
    consumed = [span for span in spans if span["name"] == "NotificationRequested process"]
    assert [span["parent_id"] for span in consumed] == [identity_span["span_id"]]
    assert consumed[0]["attributes"]["messaging.consumer.group.name"].endswith("notifications-intake")
    # Route templates and event types only: no member number, no address, no code in any span of the trace.
    text = json.dumps(spans)
    assert "73000077" not in text and "lea.durand" not in text and not re.search(r"\b\d{6}\b", text)

    # `devstack traces` prints that trace as a tree: each span under its parent, one level deeper.
    capsys.readouterr()
    assert devstack(["traces", "--dir", str(path.parent), "--trace", trace_id]) == 0
    out = capsys.readouterr().out.splitlines()  # the services' logs go to stdout too
    printed = [line for line in out if line.startswith((f"trace {trace_id} (", "  "))]
    assert printed[0].startswith(f"trace {trace_id} (") and len(printed) >= len(spans) + 1
    depth = {name: next(len(line) - len(line.lstrip()) for line in printed if f"  {name}  " in line) for name in chain(sent[0])}
    assert list(depth.values()) == sorted(set(depth.values())), depth
    assert all(re.search(r"  \d+\.\d ms$", line) for line in printed[1:])

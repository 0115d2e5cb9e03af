"""One trace from a portal's page to the SMTP send or the SMS API (issue 14): the portals' span of the form's POST
starts it (the real portals app in front of the platform's gateway), their gateway client sends `traceparent`, the gateway passes it to identity, identity's outbox keeps it with NotificationRequested, the relay
publishes it in a producer span whose context goes on the Kafka headers, notifications' consumer continues it and the
delivery's send span is a child of the consumer's. Spans written by the `file` exporter, then printed as a tree by
`devstack traces`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import asyncpg
import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from portals.bootstrap import bootstrap as portals_bootstrap
from portals.settings import PortalsSettings
from portals.testing import csrf_of
from portals.web import CAPTCHA_FIELD

from devstack.cli import main as devstack
from extranet_plumbing.testing import wait_until
from extranet_plumbing.tracing import FileSpanExporter, configure_tracing
from identity.adapters.captcha import TEST_SOLUTION
from tests.system.test_codes_arrive import MEMBER, legacy_event, mail_to, notifications  # noqa: F401  (notifications: a fixture)

PORTAL = "/mbtp/adherent"  # the member portal of a tenant offering both ways of guide 001 (identifier, or birth date)
PAGE = "/premiere-connexion"  # the pages' route template (the portals take the tenant and the portal out of the path)


def spans_of(path, trace_id: str | None = None) -> list[dict]:
    if not path.exists():
        return []
    return [span for span in map(json.loads, path.read_text().splitlines()) if trace_id in (None, span["trace_id"])]


# The hops of a code's delivery, each span the parent of the next: the portal's page, the gateway's route, identity's
# (which wrote NotificationRequested to its outbox), identity's relay publishing it to Kafka, notifications' consumer
# taking it, the delivery's send.
HOPS = [
    ("POST {page}", "SERVER"),
    ("POST /api/members/activation", "SERVER"),
    ("POST /public/members/activation", "SERVER"),
    ("NotificationRequested publish", "PRODUCER"),
    ("NotificationRequested process", "CONSUMER"),
]


@pytest.fixture
async def portals(infra, service_env, platform):
    """The portals in front of the platform's gateway (in-process: its app as the portals' transport)."""
    settings = PortalsSettings(**{**service_env, "db_schema": service_env["db_schema"] + "_portals"})
    service = portals_bootstrap(settings, transport=httpx.ASGITransport(platform.gateway_service.app))
    async with service.running():
        yield service
    conn = await asyncpg.connect(infra.database_url)
    await conn.execute(f"DROP SCHEMA IF EXISTS {settings.db_schema} CASCADE")
    await conn.close()


async def activation_traced(portals, tmp_path, way: str, form: dict) -> tuple[Path, str]:
    """A member's first connection asked on the portal's page (its server span, the trace's first); the spans of the
    whole process go to a `file` exporter's file. Returns the file and the trace's id."""
    configure_tracing("test")  # one provider for the whole test process: its spans also go to this test's file
    path = tmp_path / "traces" / "platform.jsonl"
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(FileSpanExporter(path)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(portals.app), base_url="http://portail") as browser:
        page = f"{PORTAL}/premiere-connexion/{way}"
        csrf = csrf_of(await browser.get(page))
        sent = await browser.post(page, data={"csrf": csrf, CAPTCHA_FIELD: TEST_SOLUTION, **form})
    assert sent.status_code == 303 and sent.headers["location"].endswith("/premiere-connexion/code"), sent.text
    [first] = await wait_until(lambda: [s for s in spans_of(path) if s["name"] == f"POST {PAGE}/{way}"], timeout=10)
    return path, first["trace_id"]


async def one_chain_to(path: Path, trace_id: str, page: str, send: str) -> tuple[list[dict], list[dict]]:
    """The send span's chain of ancestors, from the trace's first span, checked hop by hop; and all the trace's spans."""
    [sent] = await wait_until(lambda: [s for s in spans_of(path, trace_id) if s["name"] == send], timeout=10)
    spans = spans_of(path, trace_id)
    by_id = {span["span_id"]: span for span in spans}
    chain, span = [], sent
    while span is not None:
        chain.append(span)
        span = by_id.get(span["parent_id"])
    chain.reverse()
    assert [(span["name"], span["kind"]) for span in chain] == [(n.format(page=page), k) for n, k in HOPS] + [(send, "CLIENT")]
    assert chain[0]["parent_id"] is None  # the page's span starts the trace: nothing of it was lost on the way
    assert {span["trace_id"] for span in chain} == {trace_id}
    publish, consume = chain[3], chain[4]
    assert publish["attributes"]["messaging.destination.name"].endswith("notifications.requests")
    assert consume["attributes"]["messaging.consumer.group.name"].endswith("notifications-intake")
    assert consume["attributes"]["messaging.message.id"] == publish["attributes"]["messaging.message.id"]
    # One publication and one intake of the request in the trace (the chain's), nothing started apart.
    requested = [s["span_id"] for s in spans if s["name"].startswith("NotificationRequested ")]
    assert requested == [publish["span_id"], consume["span_id"]], [(s["name"], s["kind"]) for s in spans]
    return chain, spans


def no_personal_data(spans: list[dict], *values: str) -> None:
    """Route templates, event types and ids only: none of the person's values in any span's name or attribute, nor a
    6-digit code."""
    text = json.dumps([{"name": span["name"], "attributes": span["attributes"]} for span in spans])
    for value in values:
        assert value not in text, value
    assert not re.search(r"(?<![0-9a-f-])\d{6}(?![0-9a-f-])", text), text


@pytest.mark.usefixtures("notifications")
async def test_a_member_activation_is_one_trace_from_the_portal_to_the_smtp_send(
    platform, portals, mailbox, kafka_producer, topic_prefix, tmp_path, capsys
):
    await legacy_event(platform, kafka_producer, topic_prefix, MEMBER)
    path, trace_id = await activation_traced(
        portals, tmp_path, "identifiant", {"member_number": "73000077", "contact": "lea.durand@orange.fr"}
    )
    message = await wait_until(lambda: mail_to(mailbox, "lea.durand@orange.fr", "ACTIVER VOTRE ESPACE PAR CODE EMAIL"), timeout=30)
    code = re.search(r"\b(\d{6})\b", message.get_body(preferencelist=("plain",)).get_content()).group(1)

    chain, spans = await one_chain_to(path, trace_id, f"{PAGE}/identifiant", "notification email send")
    no_personal_data(spans, "73000077", "lea.durand", "orange.fr", code)

    # `devstack traces` prints that trace as a tree: each span under its parent, one level deeper.
    capsys.readouterr()
    assert devstack(["traces", "--dir", str(path.parent), "--trace", trace_id]) == 0
    out = capsys.readouterr().out.splitlines()  # the services' logs go to stdout too
    printed = [line for line in out if line.startswith((f"trace {trace_id} (", "  "))]
    assert printed[0].startswith(f"trace {trace_id} (") and len(printed) >= len(spans) + 1
    depth = [next(len(line) - len(line.lstrip()) for line in printed if f"  {span['name']}  " in line) for span in chain]
    assert depth == sorted(set(depth)), depth
    assert all(re.search(r"  \d+\.\d ms$", line) for line in printed[1:])


@pytest.mark.usefixtures("notifications")
async def test_a_code_sent_by_sms_is_one_trace_from_the_portal_to_the_sms_api(
    platform, portals, smsbox, kafka_producer, topic_prefix, tmp_path
):
    await legacy_event(platform, kafka_producer, topic_prefix, MEMBER)
    path, trace_id = await activation_traced(
        portals, tmp_path, "sans-identifiant", {"contact": "06.12.34.56.78", "birth_date": "12/05/1985"}
    )
    [sms] = await wait_until(lambda: smsbox.messages, timeout=30)
    assert sms["to"] == "+33612345678"
    code = re.search(r"\b(\d{6})\b", sms["body"]).group(1)

    chain, spans = await one_chain_to(path, trace_id, f"{PAGE}/sans-identifiant", "notification sms send")
    assert chain[-1]["status"] != "ERROR"
    no_personal_data(spans, "73000077", "+33612345678", "0612345678", "06.12.34.56.78", "612345678", "1985-05-12", "12/05/1985", code)

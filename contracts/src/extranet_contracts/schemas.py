"""Generates `contracts/schemas/` from the event models, and checks that they agree.

python -m extranet_contracts.schemas           # rewrite the schema files
python -m extranet_contracts.schemas --check   # exit 1 if a file differs from its model
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from extranet_contracts.catalogue import CATALOGUE

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def file_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.schema.json"


ASYNCAPI_FILE = "asyncapi.json"
PRODUCERS = {
    "legacy.brokers": "Published by the legacy management system.",
    "legacy.companies": "Published by the legacy management system.",
    "legacy.contracts": "Published by the legacy management system.",
    "legacy.memberships": "Published by the legacy management system.",
    "legacy.claims": "Published by the legacy management system.",
    "legacy.households": "Published by the legacy management system: a household's contract, beneficiaries and preferences.",
    "legacy.decisions": "Published by the legacy management system: its decisions on the requests of portal.requests.",
    "notifications.requests": "Sent by any service that needs an email or SMS delivered.",
    "notifications.outcomes": "Published by the notifications service.",
    "identity.sessions": "Published by the identity service: sessions ended, read by every service that checks access tokens.",
    "portal.requests": "Published by the platform's services: requests made in the portals, for the legacy system's back office.",
}
ENVELOPE_HEADERS = {
    "type": "object",
    "description": "CloudEvents Kafka binding (binary mode): the envelope's attributes as headers.",
    "required": ["ce_specversion", "ce_id", "ce_type", "ce_eventversion", "ce_source", "ce_time", "ce_tenant", "ce_partitionkey"],
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid", "description": "Unique event id; consumers deduplicate on it"},
        "ce_type": {"type": "string", "description": "Event type, e.g. MemberAffiliated"},
        "ce_eventversion": {"type": "string", "description": "Version of the event's schema"},
        "ce_source": {"type": "string", "description": "Producer, e.g. urn:extranet:legacy:promut2000"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_tenant": {"type": "string", "description": "The insurer (tenant) the event belongs to"},
        "ce_subject": {"type": "string"},
        "ce_partitionkey": {"type": "string", "description": "Aggregate identifier, also the Kafka key"},
        "content-type": {"const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
        "tracestate": {"type": "string"},
    },
}


def render_asyncapi() -> str:
    """The AsyncAPI 3 document: one channel per topic, one message per event version."""
    channels: dict = {}
    messages: dict = {}
    operations: dict = {}
    for (event_type, version), model in sorted(CATALOGUE.items()):
        name = f"{event_type}.v{version}"
        messages[name] = {
            "name": event_type,
            "title": f"{event_type} (v{version})",
            "summary": (model.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": ENVELOPE_HEADERS,
            "payload": {"$ref": file_name(event_type, version)},
        }
        channel = channels.setdefault(model.STREAM, {"address": model.STREAM, "messages": {}})
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    for stream in channels:
        operations[f"publish {stream}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{stream}"},
            "summary": PRODUCERS.get(stream, "Published by the platform's services.") + " Keyed by the aggregate identifier.",
        }
    document = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Extranet events",
            "version": "1.0.0",
            "description": "Events between the legacy management system and the extranet's services. Each topic has a dead-letter twin <topic>.dlq.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_all() -> dict[str, str]:
    """File name -> expected content, for every model of the catalogue and the AsyncAPI document."""
    rendered = {ASYNCAPI_FILE: render_asyncapi()}
    for (event_type, version), model in sorted(CATALOGUE.items()):
        schema = model.model_json_schema()
        schema["$id"] = f"urn:extranet:event:{event_type}:v{version}"
        schema["x-topic"] = model.STREAM
        schema["x-event-version"] = version
        rendered[file_name(event_type, version)] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return rendered


def differences(directory: Path = SCHEMA_DIR) -> list[str]:
    """Human-readable list of schema files that are missing, stale or orphaned."""
    expected = render_all()
    problems = []
    for name, content in expected.items():
        path = directory / name
        if not path.exists():
            problems.append(f"missing: {name}")
        elif path.read_text(encoding="utf-8") != content:
            problems.append(f"differs from its model: {name}")
    for path in sorted(directory.glob("*.json")):
        if path.name not in expected:
            problems.append(f"no model for: {path.name}")
    return problems


def write_all(directory: Path = SCHEMA_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    expected = render_all()
    for path in directory.glob("*.json"):
        if path.name not in expected:
            path.unlink()
    for name, content in expected.items():
        (directory / name).write_text(content, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    write_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())

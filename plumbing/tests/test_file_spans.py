"""The `file` exporter: finished spans as JSON lines, one file per service, bounded by rotation."""

from __future__ import annotations

import json

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

from extranet_plumbing.tracing import FileSpanExporter


def _provider(path, **kwargs) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "identity"}))
    provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(path, **kwargs)))
    return provider


def test_a_finished_span_is_one_json_line_with_its_parent_service_and_duration(tmp_path):
    tracer = _provider(tmp_path / "traces" / "identity.jsonl").get_tracer("test")
    with tracer.start_as_current_span("POST /api/members/activation", kind=SpanKind.SERVER) as parent:
        with tracer.start_as_current_span("NotificationRequested publish", attributes={"http.route": "/api/members/activation"}):
            pass

    first, second = (json.loads(line) for line in (tmp_path / "traces" / "identity.jsonl").read_text().splitlines())
    assert first["name"] == "NotificationRequested publish" and second["name"] == "POST /api/members/activation"
    assert first["trace_id"] == second["trace_id"] == format(parent.get_span_context().trace_id, "032x")
    assert first["parent_id"] == second["span_id"] and second["parent_id"] is None
    assert first["service"] == "identity" and second["kind"] == "SERVER"
    assert first["attributes"] == {"http.route": "/api/members/activation"}
    assert second["duration_ms"] >= first["duration_ms"] >= 0


def test_the_file_is_rotated_past_its_bound(tmp_path):
    path = tmp_path / "gateway.jsonl"
    tracer = _provider(path, max_bytes=2_000).get_tracer("test")
    for _ in range(60):
        with tracer.start_as_current_span("GET /api/brokers/me"):
            pass

    rotated = path.with_name("gateway.jsonl.1")
    assert rotated.exists() and path.exists()
    assert path.stat().st_size < 2_000 + 1_000 and rotated.stat().st_size < 2_000 + 1_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gateway.jsonl", "gateway.jsonl.1"]
    assert all(json.loads(line)["name"] == "GET /api/brokers/me" for line in path.read_text().splitlines())

"""`devstack traces`: the JSON lines of the services' files (the rotated one too) as one tree per trace."""

from __future__ import annotations

import json

from devstack.cli import main


def _span(trace: str, span: str, parent: str | None, service: str, name: str, start: int, ms: float) -> str:
    record = {"trace_id": trace, "span_id": span, "parent_id": parent, "service": service, "name": name, "start": start}
    return json.dumps({**record, "kind": "SERVER", "duration_ms": ms, "status": "UNSET", "attributes": {}, "links": []}) + "\n"


def test_the_last_traces_are_printed_as_trees_across_the_services_files(tmp_path, capsys):
    a, b = "a" * 32, "b" * 32
    (tmp_path / "gateway.jsonl.1").write_text(_span(a, "1" * 16, None, "gateway", "POST /api/members/activation", 10, 42.5))
    (tmp_path / "gateway.jsonl").write_text(_span(b, "4" * 16, None, "gateway", "GET /api/brokers/me", 50, 3.0) + '{"trace_id": "cut')
    (tmp_path / "identity.jsonl").write_text(_span(a, "2" * 16, "1" * 16, "identity", "POST /public/members/activation", 11, 30.25))
    (tmp_path / "notifications.jsonl").write_text(_span(a, "3" * 16, "2" * 16, "notifications", "notification email send", 20, 7.0))

    assert main(["traces", "--dir", str(tmp_path), "--trace", a]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"trace {a} (3 spans)",
        "  gateway  POST /api/members/activation  42.5 ms",
        "    identity  POST /public/members/activation  30.2 ms",
        "      notifications  notification email send  7.0 ms",
    ]
    assert main(["traces", "--dir", str(tmp_path), "--last", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"trace {b} (1 spans)", "  gateway  GET /api/brokers/me  3.0 ms"]
    assert main(["traces", "--dir", str(tmp_path), "--trace", "c" * 32]) == 1
    assert "no trace" in capsys.readouterr().err

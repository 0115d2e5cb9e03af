"""The command line: dump, brokers, argument errors (publish is covered against a real Kafka)."""

from __future__ import annotations

import json
from datetime import date

from extranet_contracts.catalogue import lookup
from extranet_contracts.envelope import Envelope
from legacy_simulator import SizeSpec, generate
from legacy_simulator.cli import main
from legacy_simulator.publisher import Progress


def test_dump_writes_json_lines_of_envelope_and_event(capsys):
    assert main(["dump", "--size", "small", "--seed", "1", "--today", "2026-11-23"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = list(generate(SizeSpec.preset("small"), 1, "mbtp", date(2026, 11, 23)))
    assert len(lines) == len(expected)
    for line, (envelope, event) in zip(lines, expected, strict=True):
        record = json.loads(line)
        assert set(record) == {"envelope", "event"}
        assert Envelope.model_validate(record["envelope"]) == envelope
        assert lookup(envelope.type, envelope.version).model_validate(record["event"]) == event


def test_brokers_prints_the_codes_publish_emits(capsys):
    assert main(["brokers", "--size", "demo", "--seed", "2026"]) == 0
    codes = capsys.readouterr().out.split()
    stream = generate(SizeSpec.preset("demo"), 2026, "mbtp", date(2026, 11, 23))
    first = [event.broker_code for _, event in (next(stream) for _ in range(3))]
    assert codes == first and all(len(code) == 6 and code[0] == "M" for code in codes)


def test_custom_counts_override_the_preset(capsys):
    assert main(["dump", "--size", "demo", "--brokers", "1", "--companies", "2", "--insured", "5", "--today", "2026-11-23"]) == 0
    types = [json.loads(line)["envelope"]["type"] for line in capsys.readouterr().out.splitlines()]
    assert types.count("BrokerRegistered") == 1
    assert types.count("CompanyRegistered") >= 2
    assert types.count("MemberAffiliated") == 5


def test_invalid_counts_are_refused(capsys):
    assert main(["dump", "--size", "small", "--companies", "0", "--insured", "3"]) == 2
    assert "company" in capsys.readouterr().err


def test_progress_line(capsys):
    import sys

    progress = Progress(True, sys.stderr)
    progress.update(10, final=True)
    assert "10 events published" in capsys.readouterr().err


async def test_generation_in_a_child_process_gives_the_same_records():
    from datetime import UTC, datetime

    from legacy_simulator.publisher import background_batches, to_record

    spec, today, now = SizeSpec.preset("small"), date(2026, 11, 23), datetime(2026, 11, 23, 12, tzinfo=UTC)
    inline = [to_record(envelope, event) for envelope, event in generate(spec, 4, "mbtp", today, now=now)]
    received = [record async for batch in background_batches(spec, 4, "mbtp", today, now=now) for record in batch]
    assert received == inline


async def test_generation_in_a_child_process_sends_across_only_the_streams_asked_for():
    from datetime import UTC, datetime

    from legacy_simulator.publisher import background_batches, to_record

    spec, today, now = SizeSpec.preset("demo").with_acts(2_000, 3), date(2026, 11, 23), datetime(2026, 11, 23, 12, tzinfo=UTC)
    streams = frozenset({"legacy.claims", "legacy.households"})
    inline = [to_record(envelope, event) for envelope, event in generate(spec, 4, "mbtp", today, now=now) if event.STREAM in streams]
    received = [record async for batch in background_batches(spec, 4, "mbtp", today, now=now, streams=streams) for record in batch]
    assert received == inline and {record[0] for record in received} == streams

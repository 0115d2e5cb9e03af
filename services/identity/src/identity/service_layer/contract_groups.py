"""The insured groups of the collective contracts identity recorded before it kept them (migration 008: NULL, and any
group could then be granted on such a contract). Filled again from the legacy system's own log: `legacy.contracts`
keeps every event (retention -1, "read models are rebuilt by replay"), so the contracts' signatures are read once more
from the beginning up to where the topic ends at start, and each contract without groups on file takes those of its
newest revision. Reading the log, rather than asking portfolio, keeps identity on the system of record and on no other
service's availability (portfolio's contracts are themselves a projection of the same events).

Runs at the service's start while a contract lacks its groups (then never again: none is recorded without them since
migration 008); retried with backoff if Kafka cannot be read. A row the intake consumer fills meanwhile is left alone
(`WHERE insured_groups IS NULL`): the intake applies newer events anyway."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from extranet_contracts import Envelope, EnvelopeError
from extranet_contracts.legacy import CONTRACTS, CollectiveContractSigned
from extranet_plumbing.kafka import client_kwargs, partitions_of
from extranet_plumbing.logging import get_logger
from extranet_plumbing.service import Service

log = get_logger(__name__)


async def backfill(service: Service, *, retry_seconds: float = 10.0) -> None:
    """The background task: fill the missing groups, retrying until it could read the log."""
    delay = 0.5
    while True:
        try:
            await fill_missing_groups(service)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Kafka unreachable, topic missing: try again
            log.warning("contract groups: cannot read the contracts' log yet", error_class=type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, retry_seconds)


async def fill_missing_groups(service: Service) -> int:
    """Fill every contract recorded without its insured groups from the newest revision of its signature in the log;
    the number of contracts filled."""
    missing = {
        (r["tenant"], r["contract_number"])
        for r in await service.pool.fetch("SELECT tenant, contract_number FROM company_contracts WHERE insured_groups IS NULL")
    }
    if not missing:
        return 0
    found = await _signatures(service, missing)
    filled = await service.pool.fetchval(
        """WITH found AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS f (tenant, contract_number, groups))
           , updated AS (
               UPDATE company_contracts c SET insured_groups = string_to_array(f.groups, ',')
               FROM found f WHERE c.tenant = f.tenant AND c.contract_number = f.contract_number AND c.insured_groups IS NULL
               RETURNING 1)
           SELECT count(*) FROM updated""",
        [k[0] for k in found],
        [k[1] for k in found],
        [",".join(groups) for _, groups in found.values()],
    )
    log.info("contract groups filled from the legacy log", missing=len(missing), filled=filled, not_in_log=len(missing) - len(found))
    return filled


async def _signatures(service: Service, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """The newest revision's insured groups of each wanted contract, read from the topic's beginning to its end at start."""
    topic = service.settings.topic(CONTRACTS)
    consumer = AIOKafkaConsumer(
        **client_kwargs(service.settings),
        client_id=f"{service.settings.service_name}-contract-groups",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: dict[tuple[str, str], tuple[int, list[str]]] = {}
    try:
        partitions = await partitions_of(service.settings, topic)
        if not partitions:
            raise LookupError("topic not found")
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        while any([await consumer.position(tp) < ends[tp] for tp in assigned]):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    signed = _signature(record)
                    if signed is None:
                        continue
                    tenant, event = signed
                    key = (tenant, event.contract_number)
                    if key in wanted and event.revision >= found.get(key, (0, []))[0]:
                        found[key] = (event.revision, [g.value for g in event.insured_groups])
    finally:
        await consumer.stop()
    return found


def _signature(record) -> tuple[str, CollectiveContractSigned] | None:
    try:
        envelope = Envelope.from_headers(record.headers or [])
        if (envelope.type, envelope.version) != (CollectiveContractSigned.TYPE, CollectiveContractSigned.VERSION):
            return None
        return envelope.tenant, CollectiveContractSigned.model_validate_json(record.value)
    except (EnvelopeError, ValidationError, ValueError):
        return None  # the intake dead-lettered it already; never the values in a log

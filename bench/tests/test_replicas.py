"""`--cpus` of the loading benchmarks: the whole stack on fewer cores for the run, then as it was."""

from __future__ import annotations

import os

import asyncpg
import pytest
from replicas import _embedded_pids, _threads, kafka_cpu, pinned


def _affinities(pid: int) -> dict[int, set[int]]:
    return {thread: os.sched_getaffinity(thread) for thread in _threads(pid)}


async def test_the_service_kafka_and_postgresql_run_on_the_cores_given_then_as_before(infra):
    kafka, postmaster = _embedded_pids(infra)
    if kafka is None or postmaster is None:
        pytest.skip("runs on the embedded Kafka and PostgreSQL of this machine only")
    machine = os.sched_getaffinity(0)
    if len(machine) < 2:
        pytest.skip("needs a machine of 2 cores or more")
    one = {min(machine)}
    kafka_before, postmaster_before, own_before = _affinities(kafka), os.sched_getaffinity(postmaster), os.sched_getaffinity(0)

    with pinned(one, infra):
        assert os.sched_getaffinity(0) == one
        assert set(map(frozenset, _affinities(kafka).values())) == {frozenset(one)}  # every thread of the broker
        assert os.sched_getaffinity(postmaster) == one
        conn = await asyncpg.connect(infra.database_url)  # a backend started meanwhile runs there too
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        assert os.sched_getaffinity(backend) == one
    try:
        assert os.sched_getaffinity(0) == own_before
        assert os.sched_getaffinity(postmaster) == postmaster_before
        assert os.sched_getaffinity(backend) == postmaster_before
        assert {thread: cpus for thread, cpus in _affinities(kafka).items() if thread in kafka_before} == kafka_before
    finally:
        await conn.close()
    assert kafka_cpu(infra) > 0


def test_without_cores_nothing_is_changed(infra):
    before = os.sched_getaffinity(0)
    with pinned(None, infra):
        assert os.sched_getaffinity(0) == before

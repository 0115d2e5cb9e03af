"""A service loading its read model as deploy/k8s runs it: several replicas in one consumer group, each a process
of its own (started as `make run` starts the service: its bootstrap, its settings), sharing the partitions.

`load_rate_replicas` starts the replicas one after the other (the first migrates the schema, the next join the
group as a rolling start would), times them from the first one's start until every expected event is in the
group's inbox, and gives the rate and the replicas' CPU (user + system, all processes).

Also what the benchmarks measure around it: the CPU of the embedded PostgreSQL and Kafka, and `pinned`, which
runs a benchmark with the whole stack on fewer of the machine's cores (`--cpus`)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg

INBOX_COUNT = "SELECT count(*) FROM inbox WHERE consumer_group = $1"
POLL_SECONDS = 0.05


def _resolve(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def _replica(bootstrap: str, settings: Any, started: Any, stop: Any, cpu: Any, index: int) -> None:  # pragma: no cover - a child process
    from extranet_plumbing.logging import configure_logging

    configure_logging("bench", "WARNING", "console")

    async def main() -> None:
        service = _resolve(bootstrap)(settings)
        async with service.running():
            started.set()
            while not stop.is_set():
                await asyncio.sleep(POLL_SECONDS)

    asyncio.run(main())
    times = os.times()
    cpu[index] = times.user + times.system


async def _until_loaded(settings: Any, group_id: str, topics: Sequence[str], expected: int, still_running: Any) -> None:
    """Return once the consumer group `group_id` has committed every record of `topics` and `expected` events are in its
    inbox. Kafka is asked for the group's offsets every `POLL_SECONDS` (its coordinator answers from memory); the inbox
    is counted only once they are at the end: counting it every 50 ms while it grew cost PostgreSQL about 30 µs of CPU
    an event of the load it was measuring. The consumer commits a batch's offsets only once its events are applied, so
    the count is a check, seldom asked twice."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition

    from extranet_plumbing.kafka import client_kwargs, new_admin, partitions_of

    partitions = [TopicPartition(topic, partition) for topic in topics for partition in await partitions_of(settings, topic)]
    reader = AIOKafkaConsumer(**client_kwargs(settings), enable_auto_commit=False)
    await reader.start()
    try:
        ends = await reader.end_offsets(partitions)
    finally:
        await reader.stop()
    admin = new_admin(settings, client_id="bench-progress")
    conn = await asyncpg.connect(
        settings.database_url.get_secret_value(), server_settings={"search_path": settings.db_schema, "application_name": "bench-progress"}
    )
    await admin.start()
    try:
        while True:
            still_running()
            committed = await admin.list_consumer_group_offsets(group_id)
            at_end = all(end == 0 or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items())
            if at_end and await conn.fetchval(INBOX_COUNT, group_id) >= expected:  # the replicas migrated the schema before
                return
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await admin.close()
        await conn.close()


def load_rate_replicas(
    *, bootstrap: str, settings: Any, group: str, topics: Sequence[str], expected: int, replicas: int, timeout: float = 3600.0
) -> tuple[float, float]:
    """Events/s of `replicas` processes of the service `bootstrap` ("module:function", called with `settings`) from the
    first one's start until `expected` events of `topics` are in the inbox of its group `group`, and the replicas' CPU
    seconds."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each, as a pod's
    stop = context.Event()
    cpu = context.Array("d", replicas)
    processes = []
    started_at = time.perf_counter()

    def still_running() -> None:
        if any(not p.is_alive() for p in processes):
            raise RuntimeError("a replica stopped during the load")
        if time.perf_counter() - started_at > timeout:
            raise TimeoutError(f"the replicas did not load {expected} events in {timeout:.0f} s")

    try:
        for index in range(replicas):
            started = context.Event()
            process = context.Process(target=_replica, args=(bootstrap, settings, started, stop, cpu, index), name=f"replica-{index}")
            process.start()
            processes.append(process)
            while not started.wait(0.2):
                if not process.is_alive():
                    raise RuntimeError(f"replica {index} stopped before it started (exit code {process.exitcode})")
        asyncio.run(_until_loaded(settings, settings.group_id(group), topics, expected, still_running))
        elapsed = time.perf_counter() - started_at
    finally:
        stop.set()
        for process in processes:
            process.join(60)
            if process.is_alive():
                process.kill()
    return expected / elapsed, sum(cpu)


def _times(pid: int) -> tuple[int, float]:
    """A process's parent and its CPU seconds: its own and its reaped children's (`/proc/<pid>/stat`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> dict[int, float]:
    """The processes alive whose parent is `parent`, with their CPU seconds."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid, spent = _times(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
            if ppid == parent:
                found[int(entry.name)] = spent
    return found


async def postgres_cpu(database_url: str) -> float | None:
    """CPU seconds of the PostgreSQL cluster behind `database_url` so far (postmaster, backends alive and ended), when it
    runs on this machine; None otherwise. The difference of two readings is what the cluster spent in between."""
    conn = await asyncpg.connect(database_url)
    try:
        postmaster, _ = _times(await conn.fetchval("SELECT pg_backend_pid()"))
    except OSError:
        return None
    finally:
        await conn.close()
    try:
        return _times(postmaster)[1] + sum(_children(postmaster).values())
    except OSError:
        return None


def _embedded_pids(infra: Any) -> tuple[int | None, int | None]:
    """The embedded stack's Kafka broker and PostgreSQL postmaster, when the benchmark runs on them."""
    if infra.source != "embedded":
        return None, None
    from devstack import kafka, postgres
    from devstack.config import Layout, find_root

    layout = Layout(find_root())
    return kafka.running_pid(layout), postgres.running_pid(layout)


def kafka_cpu(infra: Any) -> float | None:
    """CPU seconds of the embedded Kafka broker so far (all its threads); None on another stack. As `postgres_cpu`, the
    difference of two readings is what it spent in between."""
    pid, _ = _embedded_pids(infra)
    try:
        return None if pid is None else _times(pid)[1]
    except OSError:
        return None


def _threads(pid: int) -> list[int]:
    try:
        return [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return []


@contextlib.contextmanager
def pinned(cpus: set[int] | None, infra: Any) -> Iterator[None]:
    """Run the benchmark with the service, its baseline, Kafka and PostgreSQL on `cpus` only, as on a machine with that
    many cores: every thread of this process (the replicas it starts inherit it), of the Kafka broker and of the
    PostgreSQL cluster (the backends it starts meanwhile inherit the postmaster's). Everything is put back as it was
    afterwards; the backends started meanwhile take the postmaster's former cores. Nothing is changed when `cpus` is
    None."""
    if not cpus:
        yield
        return
    kafka_pid, postmaster = _embedded_pids(infra)
    if kafka_pid is None or postmaster is None:
        raise SystemExit("--cpus needs the embedded Kafka and PostgreSQL of this machine (devstack infra)")
    processes = [os.getpid(), kafka_pid, postmaster, *_children(postmaster)]
    saved = {thread: os.sched_getaffinity(thread) for pid in processes for thread in _threads(pid)}
    try:
        for thread in saved:
            with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
                os.sched_setaffinity(thread, cpus)
        yield
    finally:
        for thread, former in saved.items():
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(thread, former)
        for backend in _children(postmaster):
            if backend not in saved:
                with contextlib.suppress(ProcessLookupError):
                    os.sched_setaffinity(backend, saved[postmaster])  # the postmaster's only thread is itself

"""The process skeleton every service shares: pool + migrations, idempotent producer, FastStream
broker with its consumers, outbox relay, started and stopped with the HTTP app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from extranet_plumbing.consumer import EventConsumer
from extranet_plumbing.db import create_pool, migrate
from extranet_plumbing.kafka import ensure_topics, new_producer
from extranet_plumbing.logging import get_logger
from extranet_plumbing.outbox import OutboxRelay
from extranet_plumbing.settings import ServiceSettings

log = get_logger(__name__)

ConsumerFactory = Callable[["ServiceRuntime"], Sequence[EventConsumer]]
# Long-running loops of the service (senders, schedulers), started after the broker, cancelled at stop.
TaskFactory = Callable[["ServiceRuntime"], Sequence[Coroutine[Any, Any, None]]]


class ServiceRuntime:
    """Owns the connections of one service process; `lifespan` plugs it into FastAPI."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        schema: str,
        migrations: Sequence[Path] = (),
        consumers: ConsumerFactory | None = None,
        relay_outbox: bool = False,
        tasks: TaskFactory | None = None,
    ) -> None:
        self.settings = settings
        self.schema = schema
        self._migrations = list(migrations)
        self._consumer_factory = consumers
        self._relay_outbox = relay_outbox
        self._task_factory = tasks
        self.pool: asyncpg.Pool | None = None
        self.producer: AIOKafkaProducer | None = None
        self.broker: KafkaBroker | None = None
        self.consumers: list[EventConsumer] = []
        self._tasks: list[asyncio.Task] = []

    def group_id(self, name: str) -> str:
        """Consumer group names carry the topic prefix so that isolated runs never share offsets."""
        return f"{self.settings.topic_prefix}{name}"

    async def start(self) -> None:
        settings = self.settings
        self.pool = await create_pool(settings.database_url.get_secret_value(), self.schema)
        await migrate(self.pool, self.schema, *self._migrations)
        self.producer = new_producer(settings.kafka_bootstrap, client_id=settings.service_name)
        await self.producer.start()
        self.broker = KafkaBroker(
            settings.kafka_bootstrap,
            client_id=settings.service_name,
            middlewares=[KafkaTelemetryMiddleware()],
            logger=logging.getLogger(f"{settings.service_name}.faststream"),
        )
        self.consumers = list(self._consumer_factory(self)) if self._consumer_factory else []
        topics = sorted({topic for consumer in self.consumers for topic in consumer.topics})
        if topics:
            await ensure_topics(settings.kafka_bootstrap, topics)
        for consumer in self.consumers:
            consumer.subscribe(self.broker)
        await self.broker.start()
        if self._relay_outbox:
            self._tasks.append(asyncio.create_task(OutboxRelay(self.pool, self.producer, schema=self.schema).run()))
        for loop in self._task_factory(self) if self._task_factory else ():
            self._tasks.append(asyncio.create_task(loop))
        log.info("service started", schema=self.schema, topics=topics)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.broker:
            await self.broker.stop()
        if self.producer:
            await self.producer.stop()
        if self.pool:
            await self.pool.close()
        log.info("service stopped", schema=self.schema)

    async def database_ready(self) -> bool:
        return self.pool is not None and await self.pool.fetchval("SELECT 1") == 1

    async def broker_ready(self) -> bool:
        return self.broker is not None and await self.broker.ping(timeout=2.0)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

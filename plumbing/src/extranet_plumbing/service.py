"""The shape of every service process: `bootstrap(settings, **overrides)` in each service returns a
`Service`, which owns the pool and migrations, the idempotent producer, the FastStream broker with
the consumers derived from the service's handler maps, the outbox relay, background loops, and the
FastAPI app whose module-level routers get their dependencies through FastAPI `Depends`.

Routes declare what they need with the placeholders of `extranet_plumbing.dependencies` (or their
service's own, `extranet_plumbing.dependencies.Placeholder`); the `Service` binds each placeholder
to the concrete adapter chosen in bootstrap, so nothing is looked up on `app.state` by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from extranet_plumbing import dependencies
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.consumer import EventConsumer, Handlers, topics_of
from extranet_plumbing.db import create_pool, migrate
from extranet_plumbing.guard import BodyLimit
from extranet_plumbing.http import install_conventions
from extranet_plumbing.kafka import broker_security, ensure_topics, new_producer
from extranet_plumbing.logging import get_logger
from extranet_plumbing.outbox import OutboxRelay
from extranet_plumbing.read_cache import ReadModelCache, ReadModelChanges, changes_router
from extranet_plumbing.retry import RetryPolicy
from extranet_plumbing.revocations import RevocationFollower, RevocationList
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.tracing import NATIVE_TELEMETRY_OFF
from extranet_plumbing.uow import UnitOfWork

log = get_logger(__name__)

# Long-running loops of the service (senders, schedulers), started after the broker, cancelled at stop.
TaskFactory = Callable[["Service"], Sequence[Coroutine[Any, Any, None]]]


@dataclass(frozen=True)
class Subscription:
    """One consumer group of the service and the handler of each event type it takes."""

    group: str
    handlers: Handlers
    retry: RetryPolicy = RetryPolicy()
    # Each transaction that applies events adds one to read_model_version (extranet_plumbing.read_cache).
    counts_changes: bool = False


class Service:
    """One service process. Built by the service's `bootstrap`, started by the app's lifespan."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        title: str,
        schema: str | None = None,
        migrations: Sequence[Path] = (),
        unit_of_work: type[UnitOfWork] = UnitOfWork,
        subscriptions: Sequence[Subscription] = (),
        routers: Sequence[APIRouter] = (),
        dependencies: Mapping[Callable[..., Any], Callable[..., Any]] | None = None,
        verifier: TokenVerifier | None = None,
        relay_outbox: bool = False,
        tasks: TaskFactory | None = None,
        on_stop: Sequence[Callable[[], Awaitable[None]]] = (),
        readiness: Mapping[str, Callable[[], Awaitable[bool]]] | None = None,
        description: str | None = None,
        body_limits: Mapping[str, int | BodyLimit] | None = None,
        read_caches: Sequence[ReadModelCache] = (),
    ) -> None:
        """`body_limits`: a larger body limit for the paths starting with a prefix (an upload route; a
        `BodyLimit` also says what the refusal tells the user); every other path keeps the settings'
        `max_body_bytes`. `read_caches`: the caches of read answers its routes use (`ReadModelCache.respond`),
        given the pool when the service starts."""
        self.settings = settings
        self._body_limits = dict(body_limits or {})
        self.schema = schema
        self._migrations = list(migrations)
        self._unit_of_work = unit_of_work
        self.subscriptions = list(subscriptions)
        self._relay_outbox = relay_outbox
        self._read_caches = list(read_caches)
        self._task_factory = tasks
        self._on_stop = list(on_stop)
        self.verifier = verifier
        # Revoked sessions, refused by `principal`: followed from identity.sessions wherever tokens are checked.
        self.revocations = RevocationList()
        self.follows_revocations = verifier is not None and settings.session_revocations
        self.revocation_follower = RevocationFollower(settings, self.revocations) if self.follows_revocations else None
        self.pool: asyncpg.Pool | None = None
        self.producer: AIOKafkaProducer | None = None
        self.broker: KafkaBroker | None = None
        self.consumers: list[EventConsumer] = []
        self._tasks: list[asyncio.Task] = []
        # The gateway follows the read model's version (`ReadModelChanges`) to give relayed answers again.
        self.read_model_changes: ReadModelChanges | None = None
        if self._read_caches:
            routers = [*routers, changes_router()]
        self.app = self._create_app(title, description, routers, dependencies or {}, readiness)

    # --- wiring ---------------------------------------------------------------------------------

    @property
    def uses_kafka(self) -> bool:
        return bool(self.subscriptions) or self._relay_outbox

    @property
    def topics(self) -> list[str]:
        """Every topic the service consumes, derived from its handler maps."""
        return sorted({t for s in self.subscriptions for t in topics_of(s.handlers, self.settings)})

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work on the service's database (open it with `async with`)."""
        return self._unit_of_work(self.pool, self.settings)

    def group_id(self, name: str) -> str:
        return self.settings.group_id(name)

    def _create_app(
        self,
        title: str,
        description: str | None,
        routers: Sequence[APIRouter],
        overrides: Mapping[Callable[..., Any], Callable[..., Any]],
        readiness: Mapping[str, Callable[[], Awaitable[bool]]] | None,
    ) -> FastAPI:
        app = FastAPI(title=title, description=description, lifespan=self.lifespan, telemetry=NATIVE_TELEMETRY_OFF)
        checks: dict[str, Callable[[], Awaitable[bool]]] = {}
        if self.schema is not None:
            checks["database"] = self.database_ready
        if self.uses_kafka:
            checks["kafka"] = self.broker_ready
        if self.revocation_follower is not None:
            checks["revocations"] = self.revocation_follower.ready
        checks.update(readiness or {})
        install_conventions(app, checks, max_body=self.settings.max_body_bytes, body_limits=self._body_limits)
        private = (set() if self.settings.metrics_public else {"/metrics"}) | (set() if self.settings.api_docs_public else API_DOCS)
        if private:
            app.add_middleware(ServiceOnlyPaths, settings=self.settings, paths=frozenset(private))
        for router in routers:
            # Every internal route answers the platform's components only (the gateway, operators' tools).
            internal = router.prefix.startswith("/internal")
            app.include_router(router, dependencies=[Depends(dependencies.service_caller)] if internal else None)
        for route in app.routes:
            if isinstance(route, APIRoute) and route.path.startswith("/internal") and not _guarded(route):
                raise RuntimeError(f"{route.path}: an /internal route must be in a router with the /internal prefix")

        # Coroutine functions, as every override: FastAPI runs a plain function in its thread pool.
        async def new_unit_of_work() -> UnitOfWork:
            return self.unit_of_work()

        async def revocation_list() -> RevocationList:
            return self.revocations

        bindings: dict[Callable[..., Any], Callable[..., Any]] = {
            dependencies.unit_of_work: new_unit_of_work,
            dependencies.service: dependencies.provide(self),
        }
        if self.verifier is not None:
            bindings[dependencies.token_verifier] = dependencies.provide(self.verifier)
            bindings[dependencies.revocation_list] = revocation_list
        bindings.update(overrides)
        dependencies.bind(app, bindings)
        return app

    # --- life -----------------------------------------------------------------------------------

    async def start(self) -> None:
        settings = self.settings
        if self.schema is not None:
            self.pool = await create_pool(settings.database_url.get_secret_value(), self.schema)
            await migrate(self.pool, self.schema, *self._migrations)
            for cache in self._read_caches:
                cache.use(self.pool)
            if self._read_caches:
                self.read_model_changes = ReadModelChanges(self._read_caches[0], settings.database_url.get_secret_value(), self.schema)
                self.app.state.read_model_changes = self.read_model_changes
                self._tasks.append(asyncio.create_task(self.read_model_changes.run()))
        if self.uses_kafka:
            self.producer = new_producer(settings, client_id=settings.service_name)
            await self.producer.start()
            self.broker = KafkaBroker(
                settings.kafka_bootstrap,
                security=broker_security(settings),
                client_id=settings.service_name,
                # The topics exist (ensure_topics below, or beforehand for a principal that may not create them).
                allow_auto_create_topics=False,
                middlewares=[KafkaTelemetryMiddleware()],
                logger=logging.getLogger(f"{settings.service_name}.faststream"),
            )
            self.consumers = [
                EventConsumer(
                    group=s.group,
                    handlers=s.handlers,
                    settings=settings,
                    pool=self.pool,
                    producer=self.producer,
                    unit_of_work=self._unit_of_work,
                    retry=s.retry,
                    counts_changes=s.counts_changes,
                )
                for s in self.subscriptions
            ]
            if self.topics:
                await ensure_topics(settings, self.topics)
            for consumer in self.consumers:
                consumer.subscribe(self.broker)
            await self.broker.start()
            self._tasks.extend(asyncio.create_task(consumer.watch_lag()) for consumer in self.consumers)
            if self._relay_outbox:
                self._tasks.append(asyncio.create_task(OutboxRelay(self.pool, self.producer, schema=self.schema).run()))
        if self.revocation_follower is not None:
            await ensure_topics(settings, [self.revocation_follower.topic], with_dlq=False)
            self._tasks.append(asyncio.create_task(self.revocation_follower.run()))
        for loop in self._task_factory(self) if self._task_factory else ():
            self._tasks.append(asyncio.create_task(loop))
        if settings.gateway_credential is None and settings.operator_credential is None:
            log.warning("no service credential configured: every /internal route refuses every call")
        log.info("service started", service=settings.service_name, topics=self.topics)

    async def stop(self) -> None:
        """Stop in order, each step bounded: a step that does not finish (a task deaf to cancellation,
        a connection never released) is logged by name and cut short, and the process still stops."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            await _bounded("background task", _cancelled(task))
        self._tasks.clear()
        for hook in self._on_stop:
            await _bounded("stop hook", hook())
        if self.broker:
            await _bounded("consumers", self.broker.stop())
        if self.producer:
            await _bounded("producer", self.producer.stop())
        if self.pool:
            if not await _bounded("database pool", self.pool.close()):
                self.pool.terminate()
        log.info("service stopped", service=self.settings.service_name)

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

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Service]:
        """Started for the block (tests, commands): the same start and stop as under uvicorn."""
        async with self.lifespan(self.app):
            yield self


STOP_STEP_TIMEOUT = 15.0


async def _cancelled(task: asyncio.Task) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _bounded(step: str, work: Awaitable[Any], timeout: float = STOP_STEP_TIMEOUT) -> bool:
    """True when `work` finished within `timeout`; otherwise logged and abandoned."""
    try:
        await asyncio.wait_for(work, timeout)
        return True
    except TimeoutError:
        log.error("stopping: a step did not finish in time", step=step, timeout_s=timeout)
        return False


def _guarded(route: APIRoute) -> bool:
    return any(d.dependency is dependencies.service_caller for d in route.dependencies)


API_DOCS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})


class ServiceOnlyPaths:
    """Paths for the platform's components and operators only: `/metrics` unless `metrics_public`, the
    API's documentation unless `api_docs_public`; a 401 problem for anyone else."""

    def __init__(self, app: Any, settings: ServiceSettings, paths: frozenset[str]) -> None:
        self.app = app
        self.settings = settings
        self.paths = paths

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] in self.paths:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            scheme, _, bearer = headers.get("authorization", "").partition(" ")
            presented = headers.get(dependencies.SERVICE_CREDENTIAL_HEADER.lower()) or (
                bearer.strip() if scheme.lower() == "bearer" else None
            )
            if dependencies.caller_of(self.settings, presented) is None:
                from extranet_plumbing.http import problem

                await problem(401, detail=dependencies.CREDENTIAL_REQUIRED)(scope, receive, send)
                return
        await self.app(scope, receive, send)

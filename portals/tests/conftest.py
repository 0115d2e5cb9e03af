"""The portals' unit tests (the browser tests, on the whole stack, are in tests/browser/)."""

import contextlib
import importlib
import sys

import asyncpg
import httpx
import pytest

# pytest (importlib mode, no __init__.py) names this file `portals.tests.conftest` and stands the
# `portals/` folder in for the `portals` package before running it; put the real package back.
if getattr(sys.modules.get("portals"), "__file__", None) is None:
    sys.modules.pop("portals", None)
    importlib.import_module("portals")


@pytest.fixture
async def portals_behind(infra, service_env):
    """The portals in front of a fake gateway: `await portals_behind(handler)` (an httpx MockTransport handler)
    gives the running service; its sessions' schema is dropped afterwards."""
    from portals.bootstrap import bootstrap
    from portals.settings import PortalsSettings

    settings = PortalsSettings(**{**service_env, "db_schema": service_env["db_schema"] + "_portals"})
    async with contextlib.AsyncExitStack() as running:

        async def start(handler):
            service = bootstrap(settings, transport=httpx.MockTransport(handler))
            await running.enter_async_context(service.running())
            return service

        yield start
    conn = await asyncpg.connect(infra.database_url)
    await conn.execute(f"DROP SCHEMA IF EXISTS {settings.db_schema} CASCADE")
    await conn.close()

"""Placeholders: what a route asks for, bound per app by the Service's bootstrap."""

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from extranet_plumbing.dependencies import NotWired, Placeholder, bind, provide

greeting = Placeholder("greeting")


def app_saying(word: str | None) -> FastAPI:
    app = FastAPI()

    @app.get("/")
    async def say(said: Annotated[str, Depends(greeting)]) -> dict:
        return {"said": said}

    if word is not None:
        bind(app, {greeting: provide(word)})
    return app


async def get(app: FastAPI) -> dict:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://app") as client:
        return (await client.get("/")).json()


async def test_each_app_gets_what_its_own_bootstrap_bound():
    # Two services in one process (as in the system tests) bind the same placeholder differently.
    assert await get(app_saying("bonjour")) == {"said": "bonjour"}
    assert await get(app_saying("au revoir")) == {"said": "au revoir"}


async def test_binding_leaves_dependency_overrides_free():
    # While any override is set, FastAPI analyses every dependency again on every request.
    app = app_saying("bonjour")
    assert app.dependency_overrides == {}
    # ... and a test may still override a placeholder the usual way.
    app.dependency_overrides[greeting] = provide("salut")
    assert await get(app) == {"said": "salut"}


async def test_an_unbound_placeholder_says_which_one():
    with pytest.raises(NotWired, match="greeting"):
        await get(app_saying(None))


def test_only_providers_without_parameters_are_bound():
    async def needs(x: int) -> int:
        return x

    def plain() -> str:
        return "bonjour"

    for provider in (needs, plain):
        with pytest.raises(TypeError, match="greeting"):
            bind(FastAPI(), {greeting: provider})

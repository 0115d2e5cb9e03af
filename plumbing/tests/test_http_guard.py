"""The HTTP conventions every service gets, on a real uvicorn server: forwarded headers believed only
from configured proxies, control characters refused with a 422 naming the field, bodies too large
refused with a 413 before they are read, security headers, and a connection still good after a refusal."""

from __future__ import annotations

import contextlib

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from extranet_plumbing.guard import BodyLimit
from extranet_plumbing.http import install_conventions
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.testing import served


class Contact(BaseModel):
    name: str
    lines: list[str] = []


def make_app() -> FastAPI:
    app = FastAPI()
    install_conventions(app, max_body=1024)

    @app.get("/who")
    async def who(request: Request) -> dict:
        return {"client": request.client.host}

    @app.post("/contacts")
    async def contacts(contact: Contact, q: str | None = None) -> dict:
        return {"name": contact.name, "q": q}

    return app


@contextlib.asynccontextmanager
async def running(**settings):
    async with served(ServiceSettings(**settings), make_app()) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def test_a_forged_forwarded_address_is_ignored_unless_the_proxy_is_trusted():
    async with running() as client:
        answer = await client.get("/who", headers={"x-forwarded-for": "198.51.100.7"})
        assert answer.json() == {"client": "127.0.0.1"}
        assert "server" not in answer.headers
    async with running(trusted_proxies=["127.0.0.1"]) as client:
        assert (await client.get("/who", headers={"x-forwarded-for": "198.51.100.7"})).json() == {"client": "198.51.100.7"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"name": "L\\u00e9a\\u0000"}', "name"),
        ('{"name": "ok", "lines": ["a", "b\\u001b[31m"]}', "lines.1"),
        ('{"name": "\\ud800"}', "name"),
    ],
)
async def test_control_characters_in_a_json_field_are_refused_naming_the_field(body, field):
    async with running() as client:
        answer = await client.post("/contacts", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"][0]["field"] == field
        # The same connection serves the next request normally.
        fine = await client.post("/contacts", json={"name": "Léa\nDurand"})
        assert fine.status_code == 200 and fine.json()["name"] == "Léa\nDurand"


async def test_control_characters_in_the_query_or_the_path_are_refused():
    async with running() as client:
        assert (await client.post("/contacts?q=a%00b", json={"name": "x"})).json()["errors"][0]["field"] == "q"
        assert (await client.get("/who%00")).status_code == 422
        assert (await client.get("/who%2500")).status_code == 422  # double-encoded


async def test_a_body_too_large_is_refused_before_it_is_read():
    async with running() as client:
        announced = await client.post("/contacts", content=b"{" + b" " * 5000 + b"}", headers={"content-type": "application/json"})
        assert announced.status_code == 413

        async def chunks():
            for _ in range(10):
                yield b" " * 500

        streamed = await client.post("/contacts", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413


async def test_security_headers_on_every_answer():
    async with running() as client:
        answer = await client.get("/who")
        assert answer.headers["cache-control"] == "no-store" and answer.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        docs = await client.get("/docs")
        assert docs.status_code == 200 and "content-security-policy" not in docs.headers


async def test_an_upload_route_gets_its_own_limit_and_no_other_route_does():
    app = FastAPI()
    install_conventions(
        app, max_body=1024, body_limits={"/brokers/*/upload": BodyLimit(8000, "Le fichier dépasse 8 Ko.", "body.file"), "/plain/": 4000}
    )

    @app.post("/brokers/{code}/upload")
    async def upload(code: str, request: Request) -> dict:
        return {"size": len(await request.body())}

    @app.post("/brokers/{code}/other")
    async def other(code: str, request: Request) -> dict:
        return {"size": len(await request.body())}

    async with served(ServiceSettings(), app) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.post("/brokers/M12345/upload", content=b"x" * 7000)).json() == {"size": 7000}
        refused = await client.post("/brokers/M12345/upload", content=b"x" * 9000)
        assert refused.status_code == 413
        assert refused.json()["detail"] == "Le fichier dépasse 8 Ko."
        assert refused.json()["errors"] == [{"field": "file", "in": "body", "message": "Le fichier dépasse 8 Ko."}]
        assert (await client.post("/plain/x", content=b"x" * 5000)).json()[
            "detail"
        ] == "La requête dépasse la taille autorisée (4000 octets)."
        assert (await client.post("/brokers/M12345/other", content=b"x" * 2000)).status_code == 413
        assert (await client.post("/brokers/M12345/sub/upload", content=b"x" * 2000)).status_code == 413  # `*` is one segment

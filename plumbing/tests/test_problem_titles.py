"""Every problem document a service answers has its title in French (API users read it, and may show it),
its `type` unchanged (`about:blank`, what a client matches on): a route's refusal, a validation error,
the request guard's refusals, an unknown address and a fault of the service itself."""

from __future__ import annotations

from http import HTTPStatus

import httpx
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from extranet_plumbing.http import install_conventions
from extranet_plumbing.problems import problem_title
from extranet_plumbing.settings import ServiceSettings
from extranet_plumbing.testing import served


class Contact(BaseModel):
    name: str


def make_app() -> FastAPI:
    app = FastAPI()
    install_conventions(app, max_body=256)

    @app.post("/contacts")
    async def contacts(contact: Contact) -> dict:
        return {"name": contact.name}

    @app.get("/private")
    async def private() -> dict:
        raise HTTPException(403, "Cette page est réservée aux courtiers.")

    @app.get("/busy")
    async def busy() -> dict:
        raise HTTPException(429, "Trop de tentatives.")

    @app.get("/broken")
    async def broken() -> dict:
        raise RuntimeError("détail interne SECRET-7")

    return app


async def test_every_refusal_and_fault_is_titled_in_french_with_type_about_blank():
    async with served(ServiceSettings(), make_app()) as url, httpx.AsyncClient(base_url=url) as client:
        answers = {
            "refusal": await client.get("/private"),
            "throttled": await client.get("/busy"),
            "validation": await client.post("/contacts", json={}),
            "control character": await client.post("/contacts", json={"name": "a\u0000"}),
            "too large": await client.post(
                "/contacts", content=b'{"name": "' + b"x" * 400 + b'"}', headers={"content-type": "application/json"}
            ),
            "unknown address": await client.get("/nowhere"),
            "method": await client.delete("/contacts"),
            "fault": await client.get("/broken"),
        }
    titles = {name: (answer.status_code, answer.json()["title"]) for name, answer in answers.items()}
    assert titles == {
        "refusal": (403, "Accès refusé"),
        "throttled": (429, "Trop de requêtes"),
        "validation": (422, "Requête invalide"),
        "control character": (422, "Requête invalide"),
        "too large": (413, "Contenu trop volumineux"),
        "unknown address": (404, "Ressource introuvable"),
        "method": (405, "Méthode non autorisée"),
        "fault": (500, "Erreur interne"),
    }
    for answer in answers.values():
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "about:blank"
    assert answers["refusal"].json()["detail"] == "Cette page est réservée aux courtiers."
    assert answers["validation"].json()["detail"] == "Certains champs sont à corriger."
    fault = answers["fault"].json()
    assert (
        fault["detail"] == "Une erreur inattendue est survenue. Veuillez réessayer plus tard." and "SECRET-7" not in answers["fault"].text
    )


def test_a_status_without_its_own_title_takes_its_classs_and_none_is_englishs():
    assert problem_title(418) == "Demande refusée" and problem_title(507) == "Erreur du service"
    for status in HTTPStatus:
        if status >= 400:
            assert problem_title(status) != status.phrase

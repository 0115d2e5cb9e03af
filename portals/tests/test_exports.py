"""The broker's exports through the portals, in front of a fake gateway: the search posted is kept in
the session (no criterion in an address), the file streams from the gateway to the browser with the
session's token added on the server, and a refusal before the first byte brings the list back with
a French sentence."""

from __future__ import annotations

import httpx
import pytest
from portals.testing import csrf_of, logged_in, tokens_answer

BASE = "/mbtp/courtier"
WORKBOOK = b"PK\x03\x04" + b"x" * 70_000  # larger than one chunk


class FakeGateway:
    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        if path == "/api/auth/login":
            return tokens_answer()
        if path == "/api/broker/exports/companies":
            if request.url.params.get("siret") == "73282932000075":
                return httpx.Response(422, json={"status": 422, "detail": "Ce numéro de SIRET n'est pas valide : vérifiez sa clé."})
            headers = {"content-disposition": 'attachment; filename="effectifs.xlsx"'}
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            return httpx.Response(200, content=WORKBOOK, headers={**headers, "content-type": media})
        return httpx.Response(404, json={"status": 404})


@pytest.fixture
async def portal(portals_behind):
    gateway = FakeGateway()
    return await portals_behind(gateway), gateway


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    return csrf_of(await client.get(BASE + path))


def _logged_in(service):
    return logged_in(service, BASE, "M12345")


async def _search(client: httpx.AsyncClient, csrf: str, **criteria: str) -> httpx.Response:
    return await client.post(BASE + "/effectifs", data={"csrf": csrf, "mode": "entreprise", "action": "rechercher", **criteria})


async def test_an_export_streams_the_gateways_file_with_the_token_added_on_the_server(portal):
    service, gateway = portal
    async with _logged_in(service) as client:
        csrf = await _csrf(client, "/mot-de-passe-oublie")  # a page that asks the gateway nothing: the session's token
        searched = await _search(client, csrf, legal_name="Rhône", siret="73282932000074")
        assert searched.status_code == 303 and searched.headers["location"] == BASE + "/effectifs"

        answer = await client.get(BASE + "/effectifs/export?tri=legal_name&ordre=desc&format=xlsx")
        assert answer.status_code == 200 and answer.content == WORKBOOK
        assert answer.headers["content-disposition"] == 'attachment; filename="effectifs.xlsx"'
        assert "access-1" not in str(answer.headers) and "access" not in client.cookies["portail_session"]
        export = gateway.calls[-1]
        assert export.headers["authorization"] == "Bearer access-1"
        # A large export is written whole before its first byte: the portal waits for it as long as the
        # gateway does, not the 10 s of an answer (which cut a 20,000-row workbook).
        assert export.extensions["timeout"]["read"] == 300.0
        assert gateway.calls[0].extensions["timeout"]["read"] == 10.0
        assert dict(export.url.params) == {
            "legal_name": "Rhône",
            "siret": "73282932000074",
            "sort": "legal_name",
            "order": "desc",
            "format": "xlsx",
        }

        await _search(client, csrf, siret="73282932000075")
        refused = await client.get(BASE + "/effectifs/export?format=pdf")
        assert refused.status_code == 303 and refused.headers["location"] == BASE + "/effectifs"


async def test_a_search_without_its_csrf_token_is_refused(portal):
    service, _ = portal
    async with _logged_in(service) as client:
        answer = await client.post(BASE + "/effectifs", data={"mode": "assure", "insured_name": "Durand"})
        assert answer.status_code == 403 and "Formulaire expiré" in answer.text

"""A portal page that fails with personal data in its exception's message and in its locals (a NIR, an IBAN, a
name): the user sees the French error page, and the log says the error's class and the route's template only —
neither the message nor the traceback, in our line or in uvicorn's."""

from __future__ import annotations

import logging
from typing import Annotated

import httpx
from fastapi import Depends, Response
from portals.testing import logged_in, tokens_answer
from portals.web import Visit, only

from extranet_plumbing.testing import logging_configured

BASE = "/mbtp/courtier"
NIR = "1 69 03 2B 123 456 49"  # Haute-Corse
IBAN = "FR7630006000011234567890189"
SECRETS = (NIR, NIR.replace(" ", ""), "123 456", IBAN, "Léa DURAND")


def gateway(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/api/auth/login":
        return tokens_answer()
    return httpx.Response(404, json={"status": 404})


async def failing_page(visit: Annotated[Visit, Depends(only("broker"))]) -> Response:
    """A page whose drawing fails on what it was given (as a template variable or a field read would)."""
    beneficiary = {"name": "Léa DURAND", "nir": NIR, "iban": IBAN}
    raise ValueError(f"cannot draw {beneficiary} for {visit.site.portal}: NIR {NIR}")


async def test_a_failing_page_logs_its_class_and_route_never_what_the_message_holds(portals_behind, capsys, caplog):
    service = await portals_behind(gateway)
    service.app.add_api_route("/beneficiaires-en-panne/{beneficiary_id}", failing_page)
    caplog.set_level(logging.DEBUG)
    with logging_configured("portals"):
        async with logged_in(service, BASE, "M12345") as client:  # the ASGI transport raises what the app lets out
            page = await client.get(BASE + "/beneficiaires-en-panne/7")
    assert page.status_code == 500 and "Erreur technique" in page.text
    assert not any(secret in page.text for secret in SECRETS)

    printed = capsys.readouterr()
    output = printed.out + printed.err
    failures = [line for line in output.splitlines() if '"unhandled error"' in line]
    assert (
        len(failures) == 1
        and '"error_class": "ValueError"' in failures[0]
        and '"route": "/beneficiaires-en-panne/{beneficiary_id}"' in failures[0]
    )
    assert not any(secret in output for secret in SECRETS) and "Traceback" not in output and "[REDACTED]" not in output
    assert not [record for record in caplog.records if record.exc_info]
    assert not [record for record in caplog.records if any(secret in record.getMessage() for secret in SECRETS)]


def test_a_gateway_path_is_logged_without_its_identifiers():
    from portals.adapters.gateway import _shape

    assert _shape("/api/member/reimbursements/26224526") == "/api/member/reimbursements/{…}"
    assert _shape("/api/employer/contracts/W1-025702/groups/A/sheet") == "/api/employer/contracts/{…}/groups/A/sheet"
    assert _shape("/api/broker/dashboard") == "/api/broker/dashboard"

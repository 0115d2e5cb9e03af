"""The back office (espace gestion, `/<tenant>/gestion/`): the mutuelle's operators, with an account made by
`identity-admin create-operator`, list the requests of every portal (by year, type, status, portal, those
the management system left to an advisor), open one (who asked, what is asked shown in French, its
history step by step) and accept or refuse, with the reason the requester will read, those left to an
advisor; the management system applies the decision and its outcome follows in the requester's
« Mes demandes ».

The filters are no personal data: they go in the address (a list can be bookmarked). What is asked is
shown in French (portals.asked: a NIR or an IBAN masked), never logged."""

import uuid
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from enrollment.api import PAGE_SIZE, BackofficeList, RequestDetail
from enrollment.domain import kinds
from enrollment.domain.requests import STATUS_LABELS, Status
from extranet_contracts.calendar import today_in_france
from portals.adapters.gateway import GatewayProblem
from portals.asked import MEDIA_LABELS, readable
from portals.tenancy import BACKOFFICE
from portals.web import NotFound, Visit, only

router = APIRouter()
Operator = Annotated[Visit, Depends(only(BACKOFFICE))]
YEARS_OFFERED = 6
PORTAL_LABELS = {"member": "Adhérent", "broker": "Courtier", "employer": "Entreprise"}
REFERENCE_LABELS = {"member": "Numéro d'adhérent", "broker": "Code courtier", "employer": "Code entreprise"}
ACTOR_LABELS = {"requester": "Demandeur", "platform": "Plateforme", "legacy": "Service gestion", "advisor": "Conseiller"}
ADVISOR_CHOICES = {"oui": True, "non": False}
# Drafts stay their requester's: never listed here.
STATUSES = {status.value: label for status, label in STATUS_LABELS.items() if status != Status.DRAFT}


# --- the list ----------------------------------------------------------------------------------------------


WAITING = {"conseiller": "oui"}


async def home(visit: Visit) -> Response:
    """The operator's home: what waits for an advisor."""
    return await _list(visit, WAITING, "Demandes à décider", "a-decider")


def _filters(query: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The filters of the address that hold (shown as chosen), and the gateway's query they make."""
    this_year = today_in_france().year
    chosen, params = {}, {}
    year = query.get("annee", "")
    if year.isdigit() and this_year - YEARS_OFFERED < int(year) <= this_year:
        chosen["annee"], params["year"] = year, year
    if query.get("type") in kinds.KIND_LABELS:
        chosen["type"], params["kind"] = query["type"], query["type"]
    if query.get("statut") in STATUSES:
        chosen["statut"], params["status"] = query["statut"], query["statut"]
    if query.get("portail") in PORTAL_LABELS:
        chosen["portail"], params["portal"] = query["portail"], query["portail"]
    if query.get("conseiller") in ADVISOR_CHOICES:
        chosen["conseiller"] = query["conseiller"]
        params["awaiting_advisor"] = "true" if ADVISOR_CHOICES[query["conseiller"]] else "false"
    page = query.get("page", "")
    if page.isdigit() and 1 < int(page) <= 10_000:
        params["page"] = page
    return chosen, params


@router.get("/demandes")
async def requests(visit: Operator) -> Response:
    return await _list(visit, visit.request.query_params, "Demandes des portails", "demandes")


async def _list(visit: Visit, query: Mapping[str, str], title: str, active: str) -> Response:
    chosen, params = _filters(query)
    listed = await visit.api("GET", "/api/backoffice/requests", params=params, model=BackofficeList, with_tenant=False)
    pages = max(1, -(-listed.total // (listed.page_size or PAGE_SIZE)))
    this_year = today_in_france().year
    return await visit.render(
        "backoffice_requests.html",
        title=title,
        active=active,
        listed=listed,
        pages=pages,
        chosen=chosen,
        query=urlencode(chosen),
        years=range(this_year, this_year - YEARS_OFFERED, -1),
        kind_labels=sorted(kinds.KIND_LABELS.items(), key=lambda item: item[1]),
        statuses=STATUSES,
        portals=PORTAL_LABELS,
    )


# --- one request, and the advisor's decision ---------------------------------------------------------------


async def _request(visit: Visit, request_id: uuid.UUID) -> RequestDetail:
    try:
        return await visit.api("GET", f"/api/backoffice/requests/{request_id}", model=RequestDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status in (404, 422):
            raise NotFound() from None
        raise


async def _request_page(visit: Visit, demand: RequestDetail, status: int = 200, **context) -> Response:
    return await visit.render(
        "backoffice_request.html",
        status,
        title=f"{demand.kind_label} – {PORTAL_LABELS[demand.portal]} {demand.reference}",
        active="demandes",
        demand=demand,
        asked=readable(demand.payload, visit.site.tenant, demand.kind),
        portal_label=PORTAL_LABELS[demand.portal],
        reference_label=REFERENCE_LABELS[demand.portal],
        actors=ACTOR_LABELS,
        media_labels=MEDIA_LABELS,
        **context,
    )


@router.get("/demandes/{request_id}")
async def request(visit: Operator, request_id: uuid.UUID) -> Response:
    return await _request_page(visit, await _request(visit, request_id))


@router.get("/demandes/{request_id}/pieces/{file_id}")
async def attachment(visit: Operator, request_id: uuid.UUID, file_id: uuid.UUID) -> Response:
    """A file attached to the request, streamed from the gateway (the session's token added here)."""
    return await visit.download_or_back(
        f"/api/backoffice/requests/{request_id}/attachments/{file_id}",
        {},
        f"/demandes/{request_id}",
        "La pièce jointe n'a pas pu être téléchargée",
    )


@router.post("/demandes/{request_id}")
async def decide(visit: Operator, request_id: uuid.UUID) -> Response:
    """Accept, or refuse with the reason the requester will read (required)."""
    form = await visit.form()
    decision, reason = str(form.get("decision") or ""), str(form.get("reason") or "").strip()
    values = {"decision": decision, "reason": reason}
    errors, message = {}, "Certains champs sont à corriger."
    if decision not in ("accepter", "refuser"):
        errors["decision"] = "Choisissez d'accepter ou de refuser la demande."
    elif decision == "refuser" and not reason:
        errors["reason"] = "Indiquez le motif du refus : il sera communiqué au demandeur."
    if not errors:
        body = {"accepted": decision == "accepter", "reason": reason if decision == "refuser" else None}
        try:
            decided = await visit.api(
                "POST", f"/api/backoffice/requests/{request_id}/decision", json=body, model=RequestDetail, with_tenant=False
            )
        except GatewayProblem as problem:
            if problem.status == 404:
                raise NotFound() from None
            if problem.status == 409:
                await visit.flash(problem.message)
                return visit.redirect(f"/demandes/{request_id}")
            if problem.status != 422:
                raise
            errors, message = problem.fields, problem.message
        else:
            said = "l'accord" if body["accepted"] else "le refus"
            await visit.flash(f"Votre décision ({said}) est transmise au service gestion, qui l'applique : son résultat suivra ici.")
            return visit.redirect(f"/demandes/{decided.id}")
    return await _request_page(visit, await _request(visit, request_id), 422, values=values, errors=errors, message=message)

"""The broker's postal address change (guide 000 §2.3, « Modifier mon adresse postale »): the new
address, the desired effective date (JJ/MM/AAAA here, sent as a date) and the Kbis extract. The
gateway and portfolio check every field and the file's content; their French refusals are shown next
to the field at fault."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from portals.adapters.gateway import GatewayProblem
from portals.web import Visit, field_values, iso_dates, only
from portfolio.api import AddressChangeAccepted, BrokerProfile

router = APIRouter()
Broker = Annotated[Visit, Depends(only("broker"))]
FIELDS = ("line1", "line2", "locality", "postal_code", "city", "effective_date")
REQUIRED = {"line1": "L'adresse est obligatoire.", "postal_code": "Le code postal est obligatoire.", "city": "La ville est obligatoire."}
KBIS_MISSING = "Joignez un extrait Kbis (PDF, PNG, JPG ou JPEG, 4 Mo au plus)."


async def _page(visit: Visit, status: int = 200, **context) -> Response:
    profile = await visit.api("GET", "/api/broker/profile", model=BrokerProfile)
    return await visit.render(
        "broker_address.html", status, title="Modifier mon adresse postale", active="compte", office=profile, **context
    )


@router.get("/mon-compte/adresse")
async def address_page(visit: Broker) -> Response:
    return await _page(visit)


@router.post("/mon-compte/adresse")
async def address_change(visit: Broker) -> Response:
    form = await visit.form()
    values = field_values(form, *FIELDS)
    errors = {name: message for name, message in REQUIRED.items() if not values[name]}
    dates, wrong = iso_dates(values, "effective_date")
    errors.update(wrong)
    if not values["effective_date"]:
        errors["effective_date"] = "La date d'effet souhaitée est obligatoire."
    kbis = form.get("kbis")
    if not isinstance(kbis, UploadFile) or not kbis.filename:
        errors["kbis"] = KBIS_MISSING
    message = "Certains champs sont à corriger."
    if not errors:
        data = {name: values[name] for name in FIELDS if values[name]}
        data.update(dates)
        content = await kbis.read()
        files = {"kbis": (kbis.filename, content, kbis.content_type or "application/octet-stream")}
        try:
            accepted = await visit.api("POST", "/api/broker/address-change", data=data, files=files, model=AddressChangeAccepted)
            await visit.flash(accepted.message)
            return visit.redirect("/mon-compte")
        except GatewayProblem as problem:
            if problem.status == 413:
                errors, message = {"kbis": problem.detail or KBIS_MISSING}, problem.detail
            elif problem.status == 422:
                errors, message = problem.fields, problem.message
            else:
                raise
    if "kbis" not in errors:
        errors["kbis_again"] = "Sélectionnez de nouveau votre extrait Kbis."
    return await _page(visit, 422, values=values, errors=errors, message=message)

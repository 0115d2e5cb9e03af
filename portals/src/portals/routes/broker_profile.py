"""The broker's postal address change (guide 000 §2.3, « Modifier mon adresse postale »): the new
address, the desired effective date (JJ/MM/AAAA here, sent as a date) and the Kbis extract. The
gateway and portfolio check every field and the file's content; their French refusals are shown next
to the field at fault."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from enrollment.api import RequestDetail
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


# --- « Mes points de contact » (guide 000 §2.4): the office's contact person, email (twice) and phone, a request to
# the legacy system through the engine; the gateway and enrollment check each field, their French refusals shown next
# to it.

CONTACT_FIELDS = ("contact_last_name", "contact_first_name", "email", "email_confirmation", "phone")
CONTACT_REQUIRED = {
    "contact_last_name": "Le nom de la personne à contacter est obligatoire.",
    "contact_first_name": "Le prénom de la personne à contacter est obligatoire.",
    "email": "La nouvelle adresse e-mail est obligatoire.",
    "email_confirmation": "Confirmez la nouvelle adresse e-mail.",
}
CONTACT_SENT = "Votre demande de modification de vos points de contact est transmise à la mutuelle. Suivez-la dans « Mes demandes »."


async def _contact_page(visit: Visit, status: int = 200, **context) -> Response:
    office = await visit.api("GET", "/api/broker/profile", model=BrokerProfile)
    if "values" not in context:
        context["values"] = {"contact_last_name": office.contact_last_name, "contact_first_name": office.contact_first_name}
        context["values"]["phone"] = office.phone or ""
    return await visit.render(
        "broker_contact.html", status, title="Modifier mes points de contact", active="compte", office=office, **context
    )


@router.get("/mon-compte/points-de-contact")
async def contact_page(visit: Broker) -> Response:
    return await _contact_page(visit, errors={})


@router.post("/mon-compte/points-de-contact")
async def contact_change(visit: Broker) -> Response:
    values = field_values(await visit.form(), *CONTACT_FIELDS)
    errors = {name: message for name, message in CONTACT_REQUIRED.items() if not values[name]}
    message = "Certains champs sont à corriger."
    if not errors:
        body = {name: values[name] for name in CONTACT_FIELDS if values[name]}
        try:
            await visit.api("POST", "/api/broker/contact-change", json=body, model=RequestDetail, with_tenant=False)
            await visit.flash(CONTACT_SENT)
            return visit.redirect("/mon-compte")
        except GatewayProblem as problem:
            if problem.status == 422:
                errors, message = problem.fields, problem.message
            elif problem.status == 409:
                errors, message = {}, problem.detail
            else:
                raise
    return await _contact_page(visit, 422, values=values, errors=errors, message=message)

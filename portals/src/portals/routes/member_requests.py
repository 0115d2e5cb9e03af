"""The member's requests written in a form (guide 004, « Services en ligne »; product.md, contact): « Écrivez-nous »
(a subject of the mutuelle's list, the message, the email the answer goes to) and « Ajouter un bénéficiaire »
(a spouse or a child, their social security number agreeing with their birth date and sex, covered from a
date the mutuelle allows). Each is sent to the mutuelle at once and followed in « Mes demandes »; the
gateway's refusals are shown next to their field. A member of a collective contract is told to ask
their employer."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from enrollment.api import RequestDetail, RequestForm, Upload
from identity.api import Profile
from portals.adapters.gateway import GatewayProblem, generic
from portals.web import Visit, field_values, iso_dates, missing, only

router = APIRouter()
Member = Annotated[Visit, Depends(only("member"))]
MESSAGE_FIELDS = ("subject", "message", "reply_email")
MAX_UPLOAD = 4 * 1024 * 1024 + 1  # the gateway refuses more than 4 MB: no need to read further
BENEFICIARY_FIELDS = ("role", "civility", "last_name", "first_name", "birth_date", "nir", "effective_date")
TO_CORRECT = "Certains champs sont à corriger."
# The platform's general words for a value it refuses (« Saisie invalide. », a length): here, what to check.
INVALID = {
    "nir": "Numéro de sécurité sociale invalide : vérifiez les 15 chiffres et la clé.",
    "reply_email": "Adresse e-mail invalide : vérifiez-la (exemple : prenom.nom@exemple.fr).",
    "message": "Votre message doit comporter de 10 à 4 000 caractères.",
}


def _said(errors: dict[str, str]) -> dict[str, str]:
    return {name: INVALID[name] if generic(text) and name in INVALID else text for name, text in errors.items()}


async def _sent(visit: Visit, request: RequestDetail) -> Response:
    await visit.flash(f"Votre demande « {request.kind_label} » est envoyée à nos services : suivez-la ici.")
    return visit.redirect(f"/mes-demandes/{request.id}")


# --- « Écrivez-nous » ----------------------------------------------------------------------------------------


async def _message_page(visit: Visit, status: int = 200, **context) -> Response:
    form = await visit.api("GET", "/api/member/requests/forms/message", model=RequestForm, with_tenant=False)
    if "values" not in context:
        profile = await visit.api("GET", "/api/me", model=Profile)
        context["values"] = {"reply_email": profile.email or ""}
    return await visit.render("member_write.html", status, title="Écrivez-nous", active="contact", form=form, **context)


@router.get("/ecrivez-nous")
async def message_page(visit: Member) -> Response:
    return await _message_page(visit)


@router.post("/ecrivez-nous")
async def message(visit: Member) -> Response:
    posted = await visit.form()
    values = field_values(posted, *MESSAGE_FIELDS)
    errors, notice = missing(values, *MESSAGE_FIELDS), TO_CORRECT
    if not errors:
        try:
            # The file chosen (optional) is sent first; the message names it.
            attachments = await _uploaded(visit, posted.get("file"))
            sent = await visit.api(
                "POST", "/api/member/requests/message", json={**values, "attachments": attachments}, model=RequestDetail, with_tenant=False
            )
            return await _sent(visit, sent)
        except GatewayProblem as problem:
            if problem.status not in (409, 413, 415, 422):
                raise
            errors, notice = _said(problem.fields), problem.message
            if problem.status in (413, 415) or "attachments.0" in errors:
                errors["file"] = errors.pop("attachments.0", None) or problem.fields.get("file") or problem.detail or problem.message
    return await _message_page(visit, 422, values=values, errors=errors, message=notice)


async def _uploaded(visit: Visit, upload) -> list[str]:
    """The `file_id` of the file chosen, once the gateway has checked and kept it (none chosen: nothing)."""
    if upload is None or isinstance(upload, str) or not upload.filename:
        return []
    content = await upload.read(MAX_UPLOAD)
    files = {"file": (upload.filename, content, upload.content_type or "application/octet-stream")}
    kept = await visit.api("POST", "/api/member/uploads", files=files, model=Upload, with_tenant=False)
    return [str(kept.file_id)]


# --- « Ajouter un bénéficiaire » ---------------------------------------------------------------------------------


async def _beneficiary_page(visit: Visit, status: int = 200, **context) -> Response:
    form = await visit.api("GET", "/api/member/requests/forms/add-beneficiary", model=RequestForm, with_tenant=False)
    return await visit.render(
        "member_add_beneficiary.html", status, title="Ajouter un bénéficiaire", active="beneficiaires", form=form, **context
    )


@router.get("/beneficiaires/ajouter")
async def beneficiary_page(visit: Member) -> Response:
    return await _beneficiary_page(visit)


@router.post("/beneficiaires/ajouter")
async def add_beneficiary(visit: Member) -> Response:
    posted = await visit.form()
    values = field_values(posted, *BENEFICIARY_FIELDS)
    values["nir"] = "".join(values["nir"].split())
    errors, notice = missing(values, "role", "civility", "last_name", "first_name", "birth_date", "effective_date"), TO_CORRECT
    dates, wrong = iso_dates(values, "birth_date", "effective_date")
    errors.update({name: text for name, text in wrong.items() if name not in errors})
    if not errors:
        person = {name: values[name] for name in ("role", "civility", "last_name", "first_name")}
        body = {
            "beneficiary": {**person, "birth_date": dates["birth_date"], "nir": values["nir"] or None},
            "effective_date": dates["effective_date"],
        }
        try:
            sent = await visit.api("POST", "/api/member/requests/add-beneficiary", json=body, model=RequestDetail, with_tenant=False)
            return await _sent(visit, sent)
        except GatewayProblem as problem:
            if problem.status not in (409, 422):
                raise
            # The beneficiary's fields are refused by their path (beneficiary.nir): shown next to their own field.
            errors = _said({path.removeprefix("beneficiary."): text for path, text in problem.paths.items()})
            notice = problem.message
    return await _beneficiary_page(visit, 422, values=values, errors=errors, message=notice)

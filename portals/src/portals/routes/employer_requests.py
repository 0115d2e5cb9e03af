"""The employer portal's requests about employees (guide 003, « Gestion des effectifs »): the affiliation wizard
(« Affiliation par l'employeur »: Famille, Adresse, Coordonnées, Couverture, RIB, each step its own page, saved at
the gateway as it is validated, so that a draft is resumed from the list of drafts; a recap, then sent), the TP
card of an employee (« Modifier carte TP ») and a beneficiary added to an employee (« Ajouter bénéficiaire »).

The wizard's steps are drawn and read here once for two callers: the correspondent (`CorrespondentWizard`,
the session's token) and the employee invited online (`employer_enrollment.EmployeeWizard`, the link's token
kept in the session): each says where its pages are and how a step is saved and the request sent."""

import asyncio
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.datastructures import FormData

from enrollment.api import RequestDetail, RequestForm, RequestList
from portals import formats
from portals.adapters.gateway import INVALID_VALUE, GatewayProblem
from portals.routes.employer_company import opened_employee
from portals.routes.requests import _draft as own_request  # an employer request of the company, or 404
from portals.web import BAD_DATE, NotFound, Visit, field_values, iso_dates, missing, only
from portfolio.api import EmployerContracts

router = APIRouter()
Employer = Annotated[Visit, Depends(only("employer"))]
TO_CORRECT = "Certains champs sont à corriger."

# The wizard's steps in the guide's order: the API's name, the page's address, the breadcrumb's label.
STEPS = (
    ("family", "famille", "Famille"),
    ("address", "adresse", "Adresse"),
    ("contact", "coordonnees", "Coordonnées"),
    ("coverage", "couverture", "Couverture"),
    ("bank", "rib", "RIB"),
)
BY_SLUG = {slug: (step, label) for step, slug, label in STEPS}
PERSON_FIELDS = ("civility", "last_name", "first_name", "birth_date", "nir")
DEPENDANT_FIELDS = ("role", "civility", "last_name", "first_name", "birth_date", "nir")
ADDRESS_FIELDS = ("line1", "line2", "locality", "postal_code", "city")
BANK_FIELDS = ("iban", "bic", "holder", "frequency", "debit_day")
MAX_DEPENDANTS = 20
# What a field refused by the platform's own checks (an English message, shown as « Saisie invalide. ») means.
INVALID = {
    "nir": "Numéro de sécurité sociale invalide : 13 chiffres suivis de la clé (2 chiffres).",
    "iban": "IBAN invalide : vérifiez les caractères saisis.",
    "bic": "BIC invalide : 8 ou 11 lettres et chiffres.",
    "postal_code": "Code postal invalide : 5 chiffres.",
    "email": "Adresse e-mail invalide.",
    "birth_date": BAD_DATE,
    "effective_date": BAD_DATE,
}
ROLES = (("CONJOINT", "Conjoint"), ("ADULTE", "Adulte"), ("ENFANT", "Enfant"))  # guide 003: « Conjoint, Adulte, Enfant »
CIVILITIES = (("MME", "Madame"), ("M", "Monsieur"))


def field_errors(problem: GatewayProblem, rename: dict[str, str] | None = None) -> dict[str, str]:
    """The gateway's refusal by form field: a path `dependants.1.nir` is the field `dependants-1-nir` (a prefix
    in `rename` replaced first); a field the platform refused in English gets its French meaning here."""
    errors = {}
    for path, message in problem.paths.items():
        for prefix, replacement in (rename or {}).items():
            if path == prefix or path.startswith(prefix + "."):
                path = replacement + path[len(prefix) :]
        if message == INVALID_VALUE:
            message = INVALID.get(path.rsplit(".", 1)[-1], message)
        errors[path.strip(".").replace(".", "-")] = message
    return errors


def _nir(text: str) -> str:
    return "".join(text.split())


def _french_date(value: str | None) -> str:
    return formats.french_date(value) if value else ""


# --- the wizard's steps: read from the form, shown from what was saved ----------------------------------------


@dataclass
class StepInput:
    """One step's form: the values as typed (shown again), the body for the gateway, errors found here."""

    values: dict[str, Any]
    body: dict[str, Any]
    errors: dict[str, str]


def read_step(step: str, form: FormData) -> StepInput:
    if step == "family":
        return _read_family(form)
    if step == "address":
        values = field_values(form, *ADDRESS_FIELDS)
        errors = missing(values, "line1", "postal_code", "city")
        body = {name: value for name, value in values.items() if value}
        return StepInput(values, body, errors)
    if step == "contact":
        values = field_values(form, "email")
        return StepInput(values, values, missing(values, "email"))
    if step == "coverage":
        values = field_values(form, "guarantee_code", "effective_date")
        errors = missing(values, *values)
        dates, wrong = iso_dates(values, "effective_date")
        return StepInput(values, {**values, **dates}, {**errors, **wrong})
    values = field_values(form, *BANK_FIELDS)
    errors = missing(values, *BANK_FIELDS)
    body = {**values, "iban": "".join(values["iban"].split()).upper(), "bic": values["bic"].replace(" ", "").upper()}
    body["debit_day"] = int(values["debit_day"]) if values["debit_day"].isdigit() else values["debit_day"]
    return StepInput(values, body, errors)


def _read_family(form: FormData) -> StepInput:
    values: dict[str, Any] = field_values(form, *PERSON_FIELDS, "social_scheme")
    errors = missing(values, *PERSON_FIELDS, "social_scheme")
    dates, wrong = iso_dates(values, "birth_date")
    errors.update(wrong)
    body: dict[str, Any] = {**values, **dates, "nir": _nir(values["nir"]), "dependants": []}
    count = int(str(form.get("dependants_count") or "0")) if str(form.get("dependants_count") or "0").isdigit() else 0
    dependants = []
    for index in range(min(count, MAX_DEPENDANTS)):
        names = [f"dependants-{index}-{name}" for name in DEPENDANT_FIELDS]
        typed = field_values(form, *names)
        dependants.append({name: typed[f"dependants-{index}-{name}"] for name in DEPENDANT_FIELDS})
    action = str(form.get("action") or "")
    if action.startswith("retirer-") and action[8:].isdigit() and int(action[8:]) < len(dependants):
        del dependants[int(action[8:])]
    if action == "ajouter" and len(dependants) < MAX_DEPENDANTS:
        dependants.append(dict.fromkeys(DEPENDANT_FIELDS, ""))
    for index, dependant in enumerate(dependants):
        prefix = f"dependants-{index}-"
        errors.update({prefix + name: message for name, message in missing(dependant, *DEPENDANT_FIELDS).items()})
        born, wrong = iso_dates(dependant, "birth_date")
        errors.update({prefix + name: message for name, message in wrong.items()})
        body["dependants"].append({**dependant, **born, "nir": _nir(dependant["nir"])})
    values["dependants"] = dependants
    return StepInput(values, body, errors)


def saved_values(step: str, saved: dict[str, Any] | None) -> dict[str, Any]:
    """A saved step as its form shows it (dates JJ/MM/AAAA)."""
    values = dict(saved or {})
    for name in ("birth_date", "effective_date"):
        if values.get(name):
            values[name] = _french_date(values[name])
    if step == "family":
        values["dependants"] = [{**d, "birth_date": _french_date(d.get("birth_date"))} for d in values.get("dependants", [])]
    if step == "bank" and values.get("debit_day") is not None:
        values["debit_day"] = str(values["debit_day"])
    return values


class Wizard:
    """Where a wizard's pages are and how its request is read, saved and sent (correspondent or employee)."""

    visit: Visit
    base: str  # the address of its pages, without the step
    final: str = "recapitulatif"  # the page after the last step
    template_context: dict[str, Any] = {}

    async def load(self) -> tuple[RequestForm, RequestDetail]:
        raise NotImplementedError

    async def save(self, step: str, body: dict[str, Any]) -> RequestDetail:
        raise NotImplementedError

    async def submit(self) -> RequestDetail:
        raise NotImplementedError

    async def sent(self, request: RequestDetail) -> Response:
        raise NotImplementedError


def next_slug(step: str, request: RequestDetail, final: str = "recapitulatif") -> str:
    """After a step: the first step still to fill after it, else `final` (the recap, or the supporting documents)."""
    order = [name for name, _, _ in STEPS]
    after = order[order.index(step) + 1 :]
    following = [name for name in after if name in request.missing_steps]
    if following:
        return dict((name, slug) for name, slug, _ in STEPS)[following[0]]
    return final


async def step_page(wizard: Wizard, slug: str, status: int = 200, values: dict | None = None, **context: Any) -> Response:
    if slug not in BY_SLUG:
        raise NotFound()
    step, label = BY_SLUG[slug]
    form, request = await wizard.load()
    if values is None:
        values = saved_values(step, request.payload.get(step))
    return await wizard.visit.render(
        "employer_wizard.html",
        status,
        title=f"Affiliation : {label}",
        active="affiliation",
        wizard=wizard,
        steps=STEPS,
        step=step,
        slug=slug,
        label=label,
        form=form,
        demand=request,
        values=values,
        civilities=CIVILITIES,
        roles=ROLES,
        **wizard.template_context,
        **context,
    )


async def save_step_page(wizard: Wizard, slug: str) -> Response:
    if slug not in BY_SLUG:
        raise NotFound()
    step, _ = BY_SLUG[slug]
    posted = await wizard.visit.form()
    typed, action = read_step(step, posted), str(posted.get("action") or "")
    if step == "family" and (action == "ajouter" or action.startswith("retirer-")):
        return await step_page(wizard, slug, values=typed.values)  # the list of beneficiaries changed: not saved yet
    errors, message = typed.errors, TO_CORRECT
    if not errors:
        try:
            saved = await wizard.save(step, typed.body)
            return wizard.visit.redirect(f"{wizard.base}/{next_slug(step, saved, wizard.final)}")
        except GatewayProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors, message = field_errors(problem), problem.message
    return await step_page(wizard, slug, 422, values=typed.values, errors=errors, message=message)


async def recap_page(wizard: Wizard, status: int = 200, message: str | None = None) -> Response:
    form, request = await wizard.load()
    labels = {name: {choice.code: choice.label for choice in choices} for name, choices in form.choices.items()}
    return await wizard.visit.render(
        "employer_wizard_recap.html",
        status,
        title="Affiliation : récapitulatif",
        active="affiliation",
        wizard=wizard,
        steps=STEPS,
        step="recap",
        demand=request,
        labels=labels,
        message=message,
        civilities=dict(CIVILITIES),
        roles=dict(ROLES),
        **wizard.template_context,
    )


async def submit_page(wizard: Wizard) -> Response:
    await wizard.visit.form()
    try:
        sent = await wizard.submit()
    except GatewayProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await recap_page(wizard, 422, problem.message)
    return await wizard.sent(sent)


# --- the correspondent's wizard ---------------------------------------------------------------------------------


class CorrespondentWizard(Wizard):
    def __init__(self, visit: Visit, request_id: uuid.UUID) -> None:
        self.visit, self.request_id = visit, request_id
        self.base, self.final = f"/affiliation/{request_id}", "pieces"
        self.template_context = {"employee_side": False}
        self._loaded: tuple[RequestForm, RequestDetail] | None = None

    async def load(self) -> tuple[RequestForm, RequestDetail]:
        """The draft and its form (read once a page: a step saved since is read again by the next page)."""
        if self._loaded is None:
            self._loaded = await self._read()
        return self._loaded

    async def _read(self) -> tuple[RequestForm, RequestDetail]:
        request = await own_request(self.visit, self.request_id)
        if request.kind != "affiliation":
            raise NotFound()
        params = {"contract_number": request.contract_number}
        form = await self.visit.api("GET", "/api/employer/requests/forms/affiliation", params=params, model=RequestForm, with_tenant=False)
        return form, request

    async def save(self, step: str, body: dict[str, Any]) -> RequestDetail:
        return await self.visit.api("PUT", f"{self._api}/steps/{step}", json=body, model=RequestDetail, with_tenant=False)

    async def submit(self) -> RequestDetail:
        return await self.visit.api("POST", f"{self._api}/submit", model=RequestDetail, with_tenant=False)

    async def sent(self, request: RequestDetail) -> Response:
        await self.visit.flash(
            "Votre demande d'affiliation est envoyée à nos services, qui la contrôlent et la valident. "
            "Un e-mail récapitulatif est envoyé au nouvel adhérent dès qu'elle est acceptée."
        )
        return self.visit.redirect(f"/mes-demandes/{request.id}")

    @property
    def _api(self) -> str:
        return f"/api/employer/requests/{self.request_id}"


async def contracts_of(visit: Visit) -> list[tuple[str, str]]:
    """The contracts granted to the correspondent, as a form offers them: (number, « number – product category »)."""
    listed = await visit.api("GET", "/api/employer/contracts", model=EmployerContracts, with_tenant=False)
    return [(c.contract_number, f"{c.contract_number} – {c.product} {c.category}") for c in listed.contracts]


async def _drafts(visit: Visit) -> list[RequestDetail]:
    listed = await visit.api("GET", "/api/employer/requests", params={"kind": "affiliation"}, model=RequestList, with_tenant=False)
    drafts = [row for row in listed.items if row.status == "draft"][:20]
    return list(await asyncio.gather(*(own_request(visit, uuid.UUID(row.id)) for row in drafts)))


async def _start_page(visit: Visit, status: int = 200, **context: Any) -> Response:
    drafts, contracts = await asyncio.gather(_drafts(visit), contracts_of(visit))
    labels = dict((step, label) for step, _, label in STEPS)
    return await visit.render(
        "employer_wizard_start.html",
        status,
        title="Affilier un salarié",
        active="affiliation",
        drafts=drafts,
        contracts=contracts,
        step_labels=labels,
        **context,
    )


@router.get("/affiliation")
async def start_page(visit: Employer) -> Response:
    return await _start_page(visit)


@router.post("/affiliation")
async def start(visit: Employer) -> Response:
    values = field_values(await visit.form(), "contract_number")
    errors = missing(values, "contract_number")
    if not errors:
        try:
            draft = await visit.api("POST", "/api/employer/requests/affiliation", json=values, model=RequestDetail, with_tenant=False)
            return visit.redirect(f"/affiliation/{draft.id}/famille")
        except GatewayProblem as problem:
            if problem.status not in (404, 422):
                raise
            errors = {"contract_number": problem.detail or problem.message} if problem.status == 404 else field_errors(problem)
    return await _start_page(visit, 422, values=values, errors=errors, message=TO_CORRECT)


@router.get("/affiliation/{request_id}")
async def resume(visit: Employer, request_id: uuid.UUID) -> Response:
    """A draft resumed: at its first step still to fill (the recap when none is)."""
    request = await own_request(visit, request_id)
    if request.status != "draft":
        return visit.redirect(f"/mes-demandes/{request_id}")
    steps = dict((name, slug) for name, slug, _ in STEPS)
    return visit.redirect(f"/affiliation/{request_id}/{steps[request.missing_steps[0]] if request.missing_steps else 'recapitulatif'}")


@router.get("/affiliation/{request_id}/recapitulatif")
async def recap(visit: Employer, request_id: uuid.UUID) -> Response:
    return await recap_page(CorrespondentWizard(visit, request_id))


@router.post("/affiliation/{request_id}/envoyer")
async def submit(visit: Employer, request_id: uuid.UUID) -> Response:
    return await submit_page(CorrespondentWizard(visit, request_id))


@router.post("/affiliation/{request_id}/abandonner")
async def cancel(visit: Employer, request_id: uuid.UUID) -> Response:
    await visit.form()
    refused = await act_on_draft(visit, "POST", f"/api/employer/requests/{request_id}/cancel", request_id)
    if refused:
        return refused
    await visit.flash("Le brouillon d'affiliation est abandonné.")
    return visit.redirect("/affiliation")


async def act_on_draft(visit: Visit, method: str, path: str, request_id: uuid.UUID) -> Response | None:
    """A change of a draft at the gateway: None once done; a draft sent meanwhile (409) shown with the refusal."""
    try:
        await visit.api(method, path, model=RequestDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status in (404, 422):
            raise NotFound() from None
        if problem.status != 409:
            raise
        await visit.flash(problem.message)
        return visit.redirect(f"/mes-demandes/{request_id}")
    return None


# --- the supporting documents of a draft (« joindre les pièces »): one file a time, checked by the gateway ----------

MAX_UPLOAD = 4 * 1024 * 1024 + 1  # the gateway refuses more than 4 MB: no need to read further


async def _documents_page(visit: Visit, request_id: uuid.UUID, status: int = 200, **context: Any) -> Response:
    wizard = CorrespondentWizard(visit, request_id)
    _, request = await wizard.load()
    if request.status != "draft":
        return visit.redirect(f"/mes-demandes/{request_id}")
    return await visit.render(
        "employer_wizard_documents.html",
        status,
        title="Affiliation : pièces justificatives",
        active="affiliation",
        wizard=wizard,
        steps=STEPS,
        step="documents",
        demand=request,
        **wizard.template_context,
        **context,
    )


@router.get("/affiliation/{request_id}/pieces")
async def documents(visit: Employer, request_id: uuid.UUID) -> Response:
    return await _documents_page(visit, request_id)


@router.post("/affiliation/{request_id}/pieces")
async def attach(visit: Employer, request_id: uuid.UUID) -> Response:
    upload = (await visit.form()).get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return await _documents_page(visit, request_id, 422, errors={"file": "Choisissez le fichier à joindre."}, message=TO_CORRECT)
    content = await upload.read(MAX_UPLOAD)
    files = {"file": (upload.filename, content, upload.content_type or "application/octet-stream")}
    try:
        await visit.api("POST", f"/api/employer/requests/{request_id}/attachments", files=files, model=RequestDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status == 404:
            raise NotFound() from None
        if problem.status not in (409, 413, 415, 422):
            raise
        said = problem.fields.get("file") or problem.detail or problem.message
        return await _documents_page(visit, request_id, 422, errors={"file": said}, message=TO_CORRECT)
    await visit.flash(f"La pièce « {upload.filename} » est jointe à l'affiliation.")
    return visit.redirect(f"/affiliation/{request_id}/pieces")


@router.get("/affiliation/{request_id}/pieces/{file_id}")
async def document(visit: Employer, request_id: uuid.UUID, file_id: uuid.UUID) -> Response:
    path = f"/api/employer/requests/{request_id}/attachments/{file_id}"
    return await visit.download_or_back(path, {}, f"/affiliation/{request_id}/pieces", "La pièce n'a pas pu être ouverte")


@router.post("/affiliation/{request_id}/pieces/{file_id}/retirer")
async def detach(visit: Employer, request_id: uuid.UUID, file_id: uuid.UUID) -> Response:
    await visit.form()
    refused = await act_on_draft(visit, "DELETE", f"/api/employer/requests/{request_id}/attachments/{file_id}", request_id)
    if refused:
        return refused
    await visit.flash("La pièce est retirée de l'affiliation.")
    return visit.redirect(f"/affiliation/{request_id}/pieces")


@router.get("/affiliation/{request_id}/{slug}")
async def step(visit: Employer, request_id: uuid.UUID, slug: str) -> Response:
    wizard = CorrespondentWizard(visit, request_id)
    _, request = await wizard.load()
    if request.status != "draft":
        return visit.redirect(f"/mes-demandes/{request_id}")
    return await step_page(wizard, slug)


@router.post("/affiliation/{request_id}/{slug}")
async def save_step(visit: Employer, request_id: uuid.UUID, slug: str) -> Response:
    return await save_step_page(CorrespondentWizard(visit, request_id), slug)


# --- an employee's TP card, a beneficiary added to an employee -----------------------------------------------------


def _employee_refusal(problem: GatewayProblem) -> tuple[dict[str, str], str]:
    if problem.status == 404:  # no such employee of the company on that contract: the number is at fault
        return {"member_number": problem.detail or "Aucun salarié de votre entreprise sous ce numéro sur ce contrat."}, TO_CORRECT
    return field_errors(problem, {"beneficiary": ""}), problem.message


async def _card_page(visit: Visit, status: int = 200, values: dict | None = None, **context: Any) -> Response:
    return await visit.render(
        "employer_card.html",
        status,
        title="Commander une carte de tiers payant",
        active="carte",
        contracts=await contracts_of(visit),
        values=values if values is not None else await opened_employee(visit),
        **context,
    )


@router.get("/carte-tiers-payant")
async def card_page(visit: Employer) -> Response:
    return await _card_page(visit)


@router.post("/carte-tiers-payant")
async def card(visit: Employer) -> Response:
    values = field_values(await visit.form(), "contract_number", "member_number")
    values["member_number"] = "".join(values["member_number"].split())
    errors, message = missing(values, *values), TO_CORRECT
    if not errors:
        try:
            sent = await visit.api("POST", "/api/employer/requests/tp-card", json=values, model=RequestDetail, with_tenant=False)
            await visit.flash(
                "Votre commande de carte de tiers payant est envoyée à nos services : la carte est adressée au salarié par courrier."
            )
            return visit.redirect(f"/mes-demandes/{sent.id}")
        except GatewayProblem as problem:
            if problem.status not in (404, 409, 422):
                raise
            errors, message = _employee_refusal(problem)
            if problem.status == 409:
                errors, message = {}, problem.message
    return await _card_page(visit, 422, values=values, errors=errors, message=message)


BENEFICIARY_FIELDS = (
    "contract_number",
    "member_number",
    "role",
    "civility",
    "last_name",
    "first_name",
    "birth_date",
    "nir",
    "effective_date",
)


async def _beneficiary_page(visit: Visit, status: int = 200, values: dict | None = None, **context: Any) -> Response:
    form, contracts = await asyncio.gather(
        visit.api("GET", "/api/employer/requests/forms/add-beneficiary", model=RequestForm, with_tenant=False), contracts_of(visit)
    )
    return await visit.render(
        "employer_beneficiary.html",
        status,
        title="Ajouter un bénéficiaire",
        active="beneficiaire",
        form=form,
        contracts=contracts,
        roles=ROLES,
        civilities=CIVILITIES,
        values=values if values is not None else await opened_employee(visit),
        **context,
    )


@router.get("/ajouter-beneficiaire")
async def beneficiary_page(visit: Employer) -> Response:
    return await _beneficiary_page(visit)


@router.post("/ajouter-beneficiaire")
async def beneficiary(visit: Employer) -> Response:
    values = field_values(await visit.form(), *BENEFICIARY_FIELDS)
    errors, message = missing(values, *(name for name in BENEFICIARY_FIELDS if name != "nir")), TO_CORRECT
    dates, wrong = iso_dates(values, "birth_date", "effective_date")
    errors.update(wrong)
    if not errors:
        person = {name: values[name] for name in ("role", "civility", "last_name", "first_name")}
        body = {
            "contract_number": values["contract_number"],
            "member_number": "".join(values["member_number"].split()),
            "effective_date": dates["effective_date"],
            "beneficiary": {**person, "birth_date": dates["birth_date"], "nir": _nir(values["nir"]) or None},
        }
        try:
            sent = await visit.api("POST", "/api/employer/requests/add-beneficiary", json=body, model=RequestDetail, with_tenant=False)
            await visit.flash("Votre demande d'ajout de bénéficiaire est envoyée à nos services : suivez-la ici.")
            return visit.redirect(f"/mes-demandes/{sent.id}")
        except GatewayProblem as problem:
            if problem.status not in (404, 409, 422):
                raise
            errors, message = _employee_refusal(problem)
    return await _beneficiary_page(visit, 422, values=values, errors=errors, message=message)

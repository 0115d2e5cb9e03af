"""The member's situation changes (guide 004, « Services en ligne », « Modifications »): the IBAN for benefits or
for contributions, the debit date, a beneficiary removed, the guarantee, the postal address, phones and email, the
communication choices, a sponsorship. Each is a form showing, before it is sent, the effective dates the mutuelle
allows (the gateway's form of the kind) and the lists it chooses from; the gateway's refusals are shown next to the
field they name; the request is sent at once and followed in « Mes demandes » (the IBAN masked there, as on the
beneficiaries page). The pages are reached from the contract, the beneficiaries (« Retirer » on each dependant), the
preferences (the matrix of choices made editable) and the online services' list (`/services-en-ligne`).

The beneficiary removed is chosen by their id on the beneficiaries page (`?beneficiaire=<id>`, the household's
identifier of the person, meaningless outside it): who they are is read again from the household, and enrollment
checks the id is the household's.

« Paiement de cotisation en ligne » (`/cotisation/paiement`, « Cotisation » of the online services) shows the amount
due and pays it in full; a mutuelle that does not offer it says « bientôt disponible »."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from claims.api import Beneficiaries, CommunicationPreferences, HouseholdMember, MemberContract
from enrollment.api import ContributionDue, RequestDetail, RequestForm
from extranet_contracts.calendar import today_in_france
from portals.adapters.gateway import GatewayProblem, generic
from portals.routes.member_requests import _sent
from portals.routes.member_space import _or_none
from portals.web import NotFound, Visit, field_values, iso_dates, missing, only

router = APIRouter()
Member = Annotated[Visit, Depends(only("member"))]
TO_CORRECT = "Certains champs sont à corriger."
CHANNELS = (("email", "Par mail"), ("post", "Par courrier"), ("sms", "Par SMS"))
CONSENTS = {"accepted": "ACCEPTE", "refused": "REFUSE"}
NOTHING_CHANGED = "Modifiez au moins un choix avant de valider."
# The gateway's general words for a value (« Saisie invalide. »): here, what to check in the field.
INVALID = {
    "email": "Adresse e-mail invalide : vérifiez-la (exemple : prenom.nom@exemple.fr).",
    "debit_day": "Choisissez un jour de prélèvement dans la liste.",
    "guarantee_code": "Choisissez une garantie dans la liste.",
    "reason": "Choisissez un motif dans la liste.",
    "civility": "Choisissez une civilité.",
}


@dataclass(frozen=True)
class Change:
    """One situation change: its page (`slug`), the gateway's route (`api`), the form's fields and how they make the body."""

    slug: str
    api: str
    title: str
    intro: str
    template: str
    active: str
    back: str
    fields: tuple[str, ...]
    required: tuple[str, ...]
    body: Callable[[dict[str, str]], dict]
    has_form: bool = True
    prefix: str = ""  # the body's nesting of the fields (`address.`): refusals name `address.city`
    optional_date: bool = False


def _account(values: dict[str, str]) -> dict:
    return {"iban": values["iban"], "bic": values["bic"], "holder": values["holder"]}


def _bank_account(slug: str, api: str, which: str, intro: str, back: str) -> Change:
    """« Changement d'IBAN prestation » or « cotisation »: one form, the account's fields."""
    fields = ("iban", "bic", "holder", "effective_date")
    return Change(
        slug, api, f"Changement d'IBAN {which}", intro, "member_change_iban.html", back.strip("/"), back, fields, fields, _account
    )


def _address(values: dict[str, str]) -> dict:
    address = {name: values[name] or None for name in ("line1", "line2", "locality", "postal_code", "city")}
    return {"address": address, "address_kind": values["address_kind"] or "HOME"}


def _given(values: dict[str, str], *names: str) -> dict:
    return {name: values[name] for name in names if values[name]}


CHANGES = {
    change.slug: change
    for change in (
        _bank_account(
            "iban-prestation", "benefits-iban", "prestation", "Le compte sur lequel vos remboursements sont versés.", "/beneficiaires"
        ),
        _bank_account(
            "iban-cotisation", "contribution-iban", "cotisation", "Le compte sur lequel vos cotisations sont prélevées.", "/contrat"
        ),
        Change(
            "date-prelevement",
            "debit-day",
            "Changement de date de prélèvement",
            "Le jour du mois où vos cotisations sont prélevées.",
            "member_change_choice.html",
            "contrat",
            "/contrat",
            ("debit_day", "effective_date"),
            ("debit_day", "effective_date"),
            lambda values: {"debit_day": int(values["debit_day"]) if values["debit_day"].isdigit() else values["debit_day"]},
        ),
        Change(
            "garantie",
            "change-guarantee",
            "Changement de garantie",
            "Choisissez votre nouvelle garantie : un conseiller prendra contact avec vous avant de l'appliquer.",
            "member_change_choice.html",
            "contrat",
            "/contrat",
            ("guarantee_code", "callback_phone", "effective_date"),
            ("guarantee_code", "effective_date"),
            lambda values: _given(values, "guarantee_code", "callback_phone"),
        ),
        Change(
            "retirer-beneficiaire",
            "remove-beneficiary",
            "Suppression de bénéficiaire",
            "Un conseiller prendra contact avec vous si nécessaire.",
            "member_change_remove.html",
            "beneficiaires",
            "/beneficiaires",
            ("reason", "effective_date"),
            ("reason", "effective_date"),
            lambda values: {"reason": values["reason"]},
        ),
        Change(
            "adresse",
            "address",
            "Changement d'adresse",
            "Les personnes de votre foyer qui habitaient à votre ancienne adresse déménagent avec vous.",
            "member_change_address.html",
            "beneficiaires",
            "/beneficiaires",
            ("address_kind", "line1", "line2", "locality", "postal_code", "city", "effective_date"),
            ("line1", "postal_code", "city", "effective_date"),
            _address,
            prefix="address.",
        ),
        Change(
            "coordonnees",
            "contact-details",
            "Changement des informations de contact",
            "Indiquez seulement ce qui change : les autres numéros et l'e-mail restent les mêmes.",
            "member_change_contact.html",
            "beneficiaires",
            "/beneficiaires",
            ("mobile_phone", "home_phone", "work_phone", "email", "effective_date"),
            ("effective_date",),
            lambda values: _given(values, "mobile_phone", "home_phone", "work_phone", "email"),
        ),
        Change(
            "choix-envoi",
            "communication-choices",
            "Changement des choix d'envoi des informations",
            "Pour chaque type d'information, acceptez ou refusez chaque mode d'envoi.",
            "member_change_choices.html",
            "preferences",
            "/preferences",
            ("effective_date",),
            (),
            lambda values: {},
            optional_date=True,
        ),
        Change(
            "parrainage",
            "sponsorship",
            "Proposer un parrainage",
            "Présentez-nous une personne de votre entourage : votre mutuelle prendra contact avec elle.",
            "member_change_sponsorship.html",
            "services",
            "/services-en-ligne",
            ("civility", "last_name", "first_name", "email", "phone"),
            ("civility", "last_name", "first_name"),
            lambda values: _given(values, "civility", "last_name", "first_name", "email", "phone"),
            has_form=False,
        ),
    )
}


# --- the online services' list (« Services en ligne ») ----------------------------------------------------------


@router.get("/services-en-ligne")
async def online_services(visit: Member) -> Response:
    contract = await _or_none(visit, "/api/member/contract", MemberContract)
    return await visit.render("member_changes.html", title="Services en ligne", active="services", contract=contract)


# --- the forms ------------------------------------------------------------------------------------------------------


async def _form(visit: Visit, change: Change) -> RequestForm | None:
    if not change.has_form:
        return None
    return await visit.api("GET", f"/api/member/requests/forms/{change.api}", model=RequestForm, with_tenant=False)


def _french(day) -> str:
    return f"{day:%d/%m/%Y}"


async def _household(visit: Visit) -> list[HouseholdMember]:
    household = await _or_none(visit, "/api/member/beneficiaries", Beneficiaries)
    return household.items if household else []


def _dependant(people: list[HouseholdMember], beneficiary_id: str) -> HouseholdMember:
    """The dependant of that id on the beneficiaries page: not the primary insured."""
    for person in people:
        if person.id == beneficiary_id and person.role != "ASSURE":
            return person
    raise NotFound()


async def _page(visit: Visit, change: Change, status: int = 200, **context) -> Response:
    form = await _form(visit, change)
    values = context.pop("values", None) or {}
    if form and not values.get("effective_date"):  # today, or the first day allowed (a window may open back in the past)
        values["effective_date"] = _french(min(max(today_in_france(), form.window.earliest), form.window.latest))
    if change.slug in ("iban-prestation", "coordonnees", "adresse"):
        people = await _household(visit)
        context["me"] = people[0] if people else None
    if change.slug == "choix-envoi":
        context["choices"] = await visit.api("GET", "/api/member/preferences", model=CommunicationPreferences, with_tenant=False)
        context["channels"] = CHANNELS
    if change.slug == "adresse" and not values.get("address_kind"):
        values["address_kind"] = "WORK" if visit.request.query_params.get("type") == "professionnelle" else "HOME"
    return await visit.render(
        change.template, status, title=change.title, active=change.active, change=change, form=form, values=values, **context
    )


def _change(slug: str) -> Change:
    if slug not in CHANGES:
        raise NotFound()
    return CHANGES[slug]


@router.get("/modifications/retirer-beneficiaire")
async def removal_page(visit: Member) -> Response:
    person = _dependant(await _household(visit), visit.request.query_params.get("beneficiaire", ""))
    return await _page(visit, CHANGES["retirer-beneficiaire"], person=person)


@router.get("/modifications/{slug}")
async def change_page(visit: Member, slug: str) -> Response:
    change = _change(slug)
    if slug == "retirer-beneficiaire":
        raise NotFound()
    return await _page(visit, change)


def _choices_body(posted, preferences: CommunicationPreferences) -> tuple[dict, dict[str, str]]:
    """The cells changed (as the gateway takes them) and what the form shows again."""
    body, shown = {}, {}
    for row in preferences.rows:
        cells = {}
        for channel, _label in CHANNELS:
            name = f"{row.kind}_{channel}"
            chosen = str(posted.get(name) or "")
            shown[name] = chosen
            if chosen in CONSENTS.values() and chosen != CONSENTS.get(getattr(row, channel).value):
                cells[channel] = chosen
        if cells:
            body[row.kind] = cells
    return body, shown


def _said(change: Change, paths: dict[str, str], shown: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """The gateway's refusals by the form's field, and those no field of the form shows."""
    errors, elsewhere = {}, []
    for path, text in paths.items():
        name = path.removeprefix(change.prefix).replace(".", "_")
        text = INVALID.get(name, text) if generic(text) else text
        if name in shown and name not in errors:
            errors[name] = text
        elif text not in elsewhere:
            elsewhere.append(text)
    return errors, elsewhere


@router.post("/modifications/{slug}")
async def send_change(visit: Member, slug: str) -> Response:
    change = _change(slug)
    posted = await visit.form()
    values = field_values(posted, *change.fields)
    context: dict = {}
    errors = missing(values, *change.required)
    dates, wrong = iso_dates(values, "effective_date")
    errors.update({name: text for name, text in wrong.items() if name not in errors})
    body = change.body(values)
    shown_fields = change.fields
    if slug == "retirer-beneficiaire":
        person = _dependant(await _household(visit), str(posted.get("beneficiaire") or ""))
        context.update(person=person)
        body["beneficiary_id"] = person.id
    if slug == "choix-envoi":
        preferences = await visit.api("GET", "/api/member/preferences", model=CommunicationPreferences, with_tenant=False)
        cells, shown = _choices_body(posted, preferences)
        values.update(shown)
        body.update(cells)
        shown_fields = (*change.fields, *shown)
        if not cells and not errors:
            return await _page(visit, change, 422, values=values, message=NOTHING_CHANGED)
    if "effective_date" in dates:
        body["effective_date"] = dates["effective_date"]
    notice = TO_CORRECT
    if not errors:
        try:
            sent = await visit.api("POST", f"/api/member/requests/{change.api}", json=body, model=RequestDetail, with_tenant=False)
            return await _sent(visit, sent)
        except GatewayProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors, elsewhere = _said(change, problem.paths, shown_fields)
            # What no field shows is said above the form (after « Certains champs sont à corriger. » if some field does)
            notice = " ".join([*([problem.message] if errors or not elsewhere else []), *elsewhere])
    return await _page(visit, change, 422, values=values, errors=errors, message=notice, **context)


# --- « Paiement de cotisation en ligne » (guide 004, « Cotisation ») -------------------------------------------------

PAYMENT = "Paiement de cotisation en ligne"


async def _payment_page(visit: Visit, status: int = 200, message: str | None = None) -> Response:
    """The amount due and its date; a mutuelle that does not offer it (« bientôt disponible ») or nothing to pay: said."""
    try:
        due = await visit.api("GET", "/api/member/requests/contribution-payment", model=ContributionDue, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status not in (404, 409):
            raise
        return await visit.render(
            "member_payment.html",
            status,
            title=PAYMENT,
            active="services",
            due=None,
            unavailable=problem.message,
            soon=problem.status == 404,
        )
    return await visit.render("member_payment.html", status, title=PAYMENT, active="services", due=due, message=message)


@router.get("/cotisation/paiement")
async def payment_page(visit: Member) -> Response:
    return await _payment_page(visit)


@router.post("/cotisation/paiement")
async def pay_contribution(visit: Member) -> Response:
    """The amount shown, paid in full: the request goes to the mutuelle, followed in « Mes demandes »."""
    posted = await visit.form()
    body = {"amount": str(posted.get("amount") or "")}
    try:
        sent = await visit.api("POST", "/api/member/requests/contribution-payment", json=body, model=RequestDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status not in (404, 409, 422):
            raise
        return await _payment_page(visit, 422, message=problem.message)
    return await _sent(visit, sent)

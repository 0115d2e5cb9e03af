"""The member portal's pages once logged in (espace adhérent, guide 004): the home page (the last three
reimbursements, the mutuelle's news), the reimbursements searched by beneficiary and period with the
tiers-payant tab, a payment's detail with each act explained, its statement (PDF) and every statement
of a search at once (zip); the contract (guarantee history, benefits table, contribution), the
beneficiaries (social security number and IBAN masked by the services), the communication
preferences; the FAQ, contact details and legal notices of the tenant.

The search (a beneficiary, a period) is posted (CSRF) and kept in the session: the address carries the
page and its size only. Files come from the gateway through the portal (`Visit.download`)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from claims.api import (
    REFERENCE_PATTERN,
    Beneficiaries,
    CommunicationPreferences,
    Contact,
    Faq,
    LatestReimbursements,
    LegalNotices,
    MemberContract,
    News,
    OnlineStatements,
    ReimbursementDetail,
    ReimbursementList,
)
from enrollment.api import RequestDetail
from identity.api import Profile
from portals.adapters.gateway import GatewayProblem
from portals.web import NotFound, Visit, field_values, iso_dates, only

router = APIRouter()
Member = Annotated[Visit, Depends(only("member"))]
Reference = Annotated[str, Path(pattern=REFERENCE_PATTERN)]
PAGE_SIZES = (5, 10, 20, 50, 100)
SEARCH = "recherche_remboursements"


async def home(visit: Visit) -> Response:
    profile = await visit.api("GET", "/api/me", model=Profile)
    latest = await visit.api("GET", "/api/member/reimbursements/latest", model=LatestReimbursements, with_tenant=False)
    news = await visit.api("GET", "/api/member/news", model=News, with_tenant=False)
    return await visit.render("member_home.html", title="Accueil", profile=profile, latest=latest.items, news=news.items)


# --- reimbursements ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    slug: str
    label: str
    api: str


TABS = {
    "remboursements": Tab("remboursements", "Mes remboursements", "/api/member/reimbursements"),
    "tiers-payant": Tab("tiers-payant", "Tiers payant", "/api/member/reimbursements/third-party"),
}


def _page(visit: Visit) -> tuple[int, int]:
    query = visit.request.query_params
    page, size = query.get("page", ""), query.get("taille", "")
    return (
        int(page) if page.isdigit() and 0 < int(page) <= 100_000 else 1,
        int(size) if size.isdigit() and int(size) in PAGE_SIZES else 10,
    )


def _search(visit: Visit) -> dict[str, str]:
    return visit.recalled(SEARCH) or {}


async def _reimbursements(visit: Visit, tab: Tab, status: int = 200, values: dict | None = None, errors: dict | None = None, message=None):
    search = _search(visit)
    page, size = _page(visit)
    results = None
    if not errors:
        try:
            params = {**search, "page": str(page), "page_size": str(size)}
            results = await visit.api("GET", tab.api, params=params, model=ReimbursementList, with_tenant=False)
        except GatewayProblem as problem:
            if problem.status != 422:
                raise
            errors, message, status = problem.fields, problem.message, 422
    shown = values if values is not None else {name: _french(search.get(name, "")) for name in ("from", "to")}
    shown.setdefault("beneficiary", search.get("beneficiary", ""))
    return await visit.render(
        "member_reimbursements.html",
        status,
        title=tab.label,
        active="remboursements",
        tab=tab,
        tabs=TABS.values(),
        results=results,
        values=shown,
        errors=errors or {},
        message=message,
        page_sizes=PAGE_SIZES,
        size=size,
    )


def _french(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}" if len(iso) == 10 else iso


def _tab_routes(tab: Tab) -> None:
    async def show(visit: Member) -> Response:
        return await _reimbursements(visit, tab)

    async def search(visit: Member) -> Response:
        form = await visit.form()
        if form.get("action") == "reinitialiser":
            await visit.remember(**{SEARCH: {}})
            return visit.redirect(f"/{tab.slug}")
        values = field_values(form, "beneficiary", "from", "to")
        criteria, errors = iso_dates(values, "from", "to")
        if values["beneficiary"]:
            criteria["beneficiary"] = values["beneficiary"]
        if errors:
            return await _reimbursements(visit, tab, 422, values, errors, "Certains champs sont à corriger.")
        await visit.remember(**{SEARCH: criteria})
        return visit.redirect(f"/{tab.slug}")

    router.add_api_route(f"/{tab.slug}", show, methods=["GET"])
    router.add_api_route(f"/{tab.slug}", search, methods=["POST"])


for _tab in TABS.values():
    _tab_routes(_tab)


@router.get("/remboursements/releves")
async def statements_archive(visit: Member) -> Response:
    """Every statement the search finds, one PDF each, in a zip."""
    return await visit.download_or_back(
        "/api/member/statements/archive", _search(visit), "/remboursements", "Le téléchargement n'a pas pu aboutir"
    )


@router.get("/remboursements/{reference}")
async def reimbursement(visit: Member, reference: Reference) -> Response:
    try:
        detail = await visit.api("GET", f"/api/member/reimbursements/{reference}", model=ReimbursementDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status == 404:
            raise NotFound() from None
        raise
    return await visit.render("member_reimbursement.html", title="Détail de votre remboursement", active="remboursements", payment=detail)


@router.get("/remboursements/{reference}/releve")
async def statement(visit: Member, reference: Reference) -> Response:
    try:
        return await visit.download(f"/api/member/statements/{reference}", {})
    except GatewayProblem as problem:
        if problem.status == 404:
            raise NotFound() from None
        raise


# --- contract, beneficiaries, preferences ----------------------------------------------------------------


async def _or_none(visit: Visit, path: str, model):
    """The household's file, or None when the management system has not sent it yet (404)."""
    try:
        return await visit.api("GET", path, model=model, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status == 404:
            return None
        raise


@router.get("/contrat")
async def contract(visit: Member) -> Response:
    held = await _or_none(visit, "/api/member/contract", MemberContract)
    return await visit.render("member_contract.html", title="Mon contrat", active="contrat", contract=held)


@router.get("/contrat/tableau-des-prestations")
async def benefits_table(visit: Member) -> Response:
    return await visit.download_or_back(
        "/api/member/contract/benefits-table", {}, "/contrat", "Le tableau des prestations n'est pas disponible"
    )


@router.get("/beneficiaires")
async def beneficiaries(visit: Member) -> Response:
    household = await _or_none(visit, "/api/member/beneficiaries", Beneficiaries)
    return await visit.render("member_beneficiaries.html", title="Bénéficiaires", active="beneficiaires", household=household)


@router.get("/preferences")
async def preferences(visit: Member) -> Response:
    choices = await visit.api("GET", "/api/member/preferences", model=CommunicationPreferences, with_tenant=False)
    online = await visit.api("GET", "/api/member/statements", model=OnlineStatements, with_tenant=False)
    return await visit.render("member_preferences.html", title="Mes préférences", active="preferences", choices=choices, online=online)


# --- the tenant's content ----------------------------------------------------------------------------------


@router.get("/faq")
async def faq(visit: Member) -> Response:
    entries = await visit.api("GET", "/api/member/faq", model=Faq, with_tenant=False)
    categories: dict[str, list] = {}
    for entry in entries.items:
        categories.setdefault(entry.category, []).append(entry)
    return await visit.render("member_faq.html", title="Foire aux questions", active="faq", categories=categories)


@router.get("/contact")
async def contact(visit: Member) -> Response:
    details = await visit.api("GET", "/api/member/contact", model=Contact, with_tenant=False)
    return await visit.render("member_contact.html", title="Nous contacter", active="contact", details=details)


@router.get("/mentions-legales")
async def legal_notices(visit: Member) -> Response:
    notices = await visit.api("GET", "/api/member/legal-notices", model=LegalNotices, with_tenant=False)
    return await visit.render("member_legal.html", title="Mentions légales", active="mentions", notices=notices)


# --- online services that become requests (followed in « Mes demandes ») ------------------------------


async def _request(visit: Visit, path: str, body: dict | None, back: str) -> Response:
    try:
        sent = await visit.api("POST", path, json=body, model=RequestDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status not in (409, 422):
            raise
        await visit.flash(problem.message)
        return visit.redirect(back)
    await visit.flash(f"Votre demande « {sent.kind_label} » est envoyée à nos services : suivez-la ici.")
    return visit.redirect(f"/mes-demandes/{sent.id}")


@router.post("/preferences/zero-papier")
async def paperless(visit: Member) -> Response:
    """« Vos options »: no more paper statements at home (ticked), or paper statements again."""
    form = await visit.form()
    return await _request(visit, "/api/member/requests/paperless", {"paperless": bool(form.get("paperless"))}, "/preferences")


@router.post("/contrat/carte")
async def tp_card(visit: Member) -> Response:
    """« Envoi de carte mutuelle »: the household's card, by post."""
    await visit.form()
    return await _request(visit, "/api/member/requests/tp-card", None, "/contrat")

"""The household's file in the member portal: the contract page (guarantee history, the current
guarantee with its brochure and benefits table, the contribution block), the benefits table as a PDF,
the beneficiaries with their NIR and IBAN masked, and the communication preferences matrix with the
paperless option. The household is the token's, checked here again (403 for another one)."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
from datetime import date

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response, StreamingResponse

from claims.api import Beneficiaries, CommunicationPreferences, MemberContract
from claims.domain.french import day
from claims.domain.households import beneficiaries_page, contract_page, current_guarantee, preferences_page
from claims.entrypoints.dependencies import Answers, Now, UoW
from claims.entrypoints.http import Household
from claims.tenancy import claims_tenant
from extranet_plumbing.dependencies import Who
from extranet_plumbing.exports import PDF_MEDIA_TYPE, Column, ExportSpec, export_response

router = APIRouter(prefix="/internal")
NO_CONTRACT = "Aucun contrat n'est enregistré pour votre foyer."
NO_BENEFICIARIES = "Aucun bénéficiaire n'est enregistré pour votre foyer."
NO_GUARANTEE = "Aucune garantie n'est en cours sur votre contrat."
BENEFIT_COLUMNS = [
    Column("category", "Poste", "text", 20),
    Column("label", "Prestation", "text", 45),
    Column("level", "Remboursement", "text", 35),
]
PDF = {
    200: {
        "description": "Le tableau des prestations (PDF)",
        "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


async def _stored_contract(uow: UoW, tenant: str, member_number: str) -> dict:
    """The household's contract as stored (in the open unit of work); 404 when the legacy system published none."""
    contract = await uow.households.contract(tenant, member_number)
    if contract is None:
        raise HTTPException(404, NO_CONTRACT)
    return contract


@router.get("/members/{member_number}/contract", response_model=MemberContract)
async def contract(member_number: Household, who: Who, uow: UoW, answers: Answers, now: Now) -> Response:
    """Mon contrat: number, kind, subscription date, guarantee history, the current guarantee, the contribution
    (kept while the read model has not changed, for the day: the current guarantee is the day's)."""
    today = now().date()

    async def computed() -> dict:
        return contract_page(await _stored_contract(uow, who.tenant, member_number), today)

    return await answers.respond(uow, ("contract", who.tenant, member_number, today), MemberContract, computed)


@router.get("/members/{member_number}/contract/benefits-table", response_class=StreamingResponse, responses=PDF)
async def benefits_table(member_number: Household, who: Who, uow: UoW, now: Now) -> StreamingResponse:
    """The current guarantee's benefits table (tableau des prestations), as a PDF."""
    async with uow:
        stored = await _stored_contract(uow, who.tenant, member_number)
    guarantee = current_guarantee(stored["guarantees"], now().date())
    if guarantee is None:
        raise HTTPException(404, NO_GUARANTEE)
    filters = [("Contrat", stored["contract_number"]), ("Garantie", guarantee["name"])]
    filters.append(("En vigueur depuis le", day(date.fromisoformat(guarantee["start_date"]))))
    spec = ExportSpec(
        title=f"Tableau des prestations - {guarantee['name']}",
        tenant_name=claims_tenant(who.tenant).name,
        filters=filters,
        columns=BENEFIT_COLUMNS,
        filename=f"tableau-des-prestations-{guarantee['guarantee_code'].lower()}",
        generated_at=now(),
    )
    return export_response(spec, guarantee.get("benefits", []), "pdf")


@router.get("/members/{member_number}/beneficiaries", response_model=Beneficiaries)
async def beneficiaries(member_number: Household, who: Who, uow: UoW, answers: Answers) -> Response:
    """Les bénéficiaires: the primary insured, then the dependants, with their details; NIR and IBAN masked."""

    async def computed() -> dict:
        stored = await uow.households.beneficiaries(who.tenant, member_number)
        if stored is None:
            raise HTTPException(404, NO_BENEFICIARIES)
        return {"items": beneficiaries_page(stored)}

    return await answers.respond(uow, ("beneficiaries", who.tenant, member_number), Beneficiaries, computed)


@router.get("/members/{member_number}/preferences", response_model=CommunicationPreferences)
async def preferences(member_number: Household, who: Who, uow: UoW, answers: Answers) -> Response:
    """Choix d'envoi des informations (not defined everywhere until the legacy system says otherwise) and the paperless option."""

    async def computed() -> dict:
        stored = await uow.households.preferences(who.tenant, member_number)
        stored = stored or {"matrix": None, "paperless": False, "paperless_since": None}
        return {"rows": preferences_page(stored["matrix"]), "paperless": stored["paperless"], "paperless_since": stored["paperless_since"]}

    return await answers.respond(uow, ("preferences", who.tenant, member_number), CommunicationPreferences, computed)

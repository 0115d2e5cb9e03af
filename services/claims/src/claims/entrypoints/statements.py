"""Statements (relevés de prestations) of the member portal: those online, the PDF of one payment
("imprimer ce paiement"), and every statement of a period in one download ("télécharger en une seule
fois tous les relevés de la période sélectionnée"), a zip of one PDF per payment, streamed.

Online are, for a paperless member (the option the legacy system publishes), the statements of the last
year; for any other, the last ten (both set per tenant). The household is the token's, checked here as
for the reimbursements: another household's payment is not found."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
from typing import IO, Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response, StreamingResponse

from claims.adapters.statements import filename, statement_pdf, write_archive
from claims.api import REFERENCE_PATTERN, OnlineStatements
from claims.domain.french import day
from claims.domain.households import Online
from claims.domain.search import Search
from claims.entrypoints.dependencies import Answers, Now, UoW
from claims.entrypoints.http import NOT_FOUND, Criteria, Household, row
from claims.tenancy import claims_tenant
from extranet_plumbing.dependencies import Who
from extranet_plumbing.exports import PDF_MEDIA_TYPE, ZIP_MEDIA_TYPE, content_disposition, file_response, in_thread, spooled_chunks

router = APIRouter(prefix="/internal")
NOT_ONLINE = "Ce relevé n'est plus disponible en ligne."
PDF = {200: {"description": "Le relevé (PDF)", "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}
ZIP = {200: {"description": "Les relevés de la période, un PDF par paiement (zip)", "content": {ZIP_MEDIA_TYPE: {}}}}


@router.get("/members/{member_number}/statements", response_model=OnlineStatements)
async def statements(member_number: Household, who: Who, uow: UoW, answers: Answers, now: Now) -> Response:
    """The statements online, newest first, and the rule that chose them (kept for the day while the read
    model, the paperless option included, has not changed)."""
    tenant, today = claims_tenant(who.tenant), now().date()

    async def computed() -> dict:
        online = Online.rule(await uow.households.paperless(who.tenant, member_number), today, tenant)
        items = [row(p) async for p in uow.reimbursements.each_online(who.tenant, member_number, Search(), online)]
        return {"paperless": online.paperless, "rule": online.described(tenant), "items": items}

    return await answers.respond(uow, ("statements", who.tenant, member_number, today), OnlineStatements, computed)


@router.get("/members/{member_number}/statements/archive", response_class=StreamingResponse, responses=ZIP)
async def archive(member_number: Household, who: Who, uow: UoW, now: Now, search: Criteria) -> StreamingResponse:
    """Every statement of the household's payments that the search finds (beneficiary, period of payment
    dates), newest first, one PDF each in a zip written while it is read from the read model."""
    tenant, issued_at = claims_tenant(who.tenant), now()

    async def fill(out: IO[bytes]) -> None:
        async with uow:
            online = Online.rule(await uow.households.paperless(who.tenant, member_number), issued_at.date(), tenant)
            await write_archive(out, uow.reimbursements.each_online(who.tenant, member_number, search, online), tenant, issued_at)

    period = "-".join(day(d).replace("/", "") for d in (search.start, search.end) if d) or "tous"
    return file_response(spooled_chunks(fill), ZIP_MEDIA_TYPE, f"releves-{period}.zip")


@router.get("/members/{member_number}/statements/{reference}", response_class=Response, responses=PDF)
async def statement(
    member_number: Household, who: Who, uow: UoW, now: Now, reference: Annotated[str, Path(pattern=REFERENCE_PATTERN)]
) -> Response:
    """The statement of one payment of the household, as a PDF, while it is online."""
    tenant, issued_at = claims_tenant(who.tenant), now()
    async with uow:
        online = Online.rule(await uow.households.paperless(who.tenant, member_number), issued_at.date(), tenant)
        payment = await uow.reimbursements.online_payment(who.tenant, member_number, reference, online)
        if payment is None:
            known = await uow.reimbursements.payment(who.tenant, member_number, reference)
            raise HTTPException(404, NOT_ONLINE if known else NOT_FOUND)
    pdf = await in_thread(statement_pdf, payment, tenant, issued_at)
    headers = {"Content-Disposition": content_disposition(filename(payment)), "Cache-Control": "no-store"}
    return Response(pdf, media_type=PDF_MEDIA_TYPE, headers=headers)

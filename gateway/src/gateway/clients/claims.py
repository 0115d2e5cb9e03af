"""Typed client of the claims service: answers validated against `claims.api`'s models."""

from __future__ import annotations

from typing import Any

from fastapi.responses import StreamingResponse

from claims.api import (
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
from extranet_plumbing.exports import PDF_MEDIA_TYPE, ZIP_MEDIA_TYPE
from gateway.clients.base import Relayed, ServiceClient, segment


class ClaimsClient(ServiceClient):
    # The member number is the token's (the routes take it from there), and claims checks it again.

    async def latest(self, token: str, member_number: str) -> Relayed:
        return await self.relay(
            "GET",
            "/internal/members/{member_number}/reimbursements/latest",
            member_number=member_number,
            model=LatestReimbursements,
            token=token,
        )

    async def reimbursements(self, token: str, member_number: str, params: dict[str, Any], *, third_party: bool = False) -> Relayed:
        """The list searched (the query as the member gave it, validated by the gateway's route and again by claims);
        `third_party`: the payments to health professionals only."""
        tab = "/third-party" if third_party else ""
        return await self.relay(
            "GET",
            f"/internal/members/{{member_number}}/reimbursements{tab}",
            member_number=member_number,
            model=ReimbursementList,
            token=token,
            params=params,
        )

    async def reimbursement(self, token: str, member_number: str, reference: str) -> Relayed:
        return await self.relay(
            "GET",
            "/internal/members/{member_number}/reimbursements/{reference}",
            member_number=member_number,
            reference=reference,
            model=ReimbursementDetail,
            token=token,
        )

    async def _file(
        self, token: str, member_number: str, path: str, route: str, media_type: str, params: dict[str, Any] | None = None
    ) -> StreamingResponse:
        """A document of the household (`path` quoted, `route` as claims declares it), streamed through."""
        return await self.download(
            f"/internal/members/{segment(member_number)}/{path}",
            route=f"GET /internal/members/{{member_number}}/{route}",
            token=token,
            params=params,
            media_types=frozenset({media_type}),
        )

    async def statement(self, token: str, member_number: str, reference: str) -> StreamingResponse:
        """The statement of one payment (PDF)."""
        return await self._file(token, member_number, f"statements/{segment(reference)}", "statements/{reference}", PDF_MEDIA_TYPE)

    async def statement_archive(self, token: str, member_number: str, params: dict[str, Any]) -> StreamingResponse:
        """Every statement of the search (beneficiary, period) in one zip."""
        return await self._file(token, member_number, "statements/archive", "statements/archive", ZIP_MEDIA_TYPE, params)

    async def benefits_table(self, token: str, member_number: str) -> StreamingResponse:
        """The current guarantee's benefits table (PDF)."""
        return await self._file(token, member_number, "contract/benefits-table", "contract/benefits-table", PDF_MEDIA_TYPE)

    async def _household(self, token: str, member_number: str, part: str, model: type) -> Relayed:
        """A part of the household's file (`part`: contract, beneficiaries, preferences, statements)."""
        return await self.relay("GET", f"/internal/members/{{member_number}}/{part}", member_number=member_number, model=model, token=token)

    async def contract(self, token: str, member_number: str) -> Relayed:
        return await self._household(token, member_number, "contract", MemberContract)

    async def beneficiaries(self, token: str, member_number: str) -> Relayed:
        return await self._household(token, member_number, "beneficiaries", Beneficiaries)

    async def preferences(self, token: str, member_number: str) -> Relayed:
        return await self._household(token, member_number, "preferences", CommunicationPreferences)

    async def statements(self, token: str, member_number: str) -> Relayed:
        return await self._household(token, member_number, "statements", OnlineStatements)

    # The tenant's content, as the member's household reads it.
    async def news(self, token: str, member_number: str) -> Relayed:
        return await self._household(token, member_number, "content/news", News)

    async def faq(self, token: str, member_number: str) -> Relayed:
        return await self._household(token, member_number, "content/faq", Faq)

    async def contact(self, token: str, member_number: str) -> Relayed:
        return await self._household(token, member_number, "content/contact", Contact)

    async def legal_notices(self, token: str, member_number: str) -> Relayed:
        return await self._household(token, member_number, "content/legal-notices", LegalNotices)

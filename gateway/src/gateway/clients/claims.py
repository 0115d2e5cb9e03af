"""Typed client of the claims service: answers validated against `claims.api`'s models."""

from __future__ import annotations

from typing import Any

from fastapi.responses import StreamingResponse

from claims.api import LatestReimbursements, ReimbursementDetail, ReimbursementList
from extranet_plumbing.exports import PDF_MEDIA_TYPE, ZIP_MEDIA_TYPE
from gateway.clients.base import ServiceClient, segment


class ClaimsClient(ServiceClient):
    # The member number is the token's (the routes take it from there), and claims checks it again.

    async def latest(self, token: str, member_number: str) -> LatestReimbursements:
        return await self.request(
            "GET",
            f"/internal/members/{segment(member_number)}/reimbursements/latest",
            route="GET /internal/members/{member_number}/reimbursements/latest",
            model=LatestReimbursements,
            token=token,
        )

    async def reimbursements(
        self, token: str, member_number: str, params: dict[str, Any], *, third_party: bool = False
    ) -> ReimbursementList:
        """The list searched (the query as the member gave it, validated by the gateway's route and again by claims);
        `third_party`: the payments to health professionals only."""
        tab = "/third-party" if third_party else ""
        return await self.request(
            "GET",
            f"/internal/members/{segment(member_number)}/reimbursements{tab}",
            route=f"GET /internal/members/{{member_number}}/reimbursements{tab}",
            model=ReimbursementList,
            token=token,
            params=params,
        )

    async def reimbursement(self, token: str, member_number: str, reference: str) -> ReimbursementDetail:
        return await self.request(
            "GET",
            f"/internal/members/{segment(member_number)}/reimbursements/{segment(reference)}",
            route="GET /internal/members/{member_number}/reimbursements/{reference}",
            model=ReimbursementDetail,
            token=token,
        )

    async def statement(self, token: str, member_number: str, reference: str) -> StreamingResponse:
        """The statement of one payment (PDF), streamed through."""
        return await self.download(
            f"/internal/members/{segment(member_number)}/statements/{segment(reference)}",
            route="GET /internal/members/{member_number}/statements/{reference}",
            token=token,
            params=None,
            media_types=frozenset({PDF_MEDIA_TYPE}),
        )

    async def statement_archive(self, token: str, member_number: str, params: dict[str, Any]) -> StreamingResponse:
        """Every statement of the search (beneficiary, period) in one zip, streamed through."""
        return await self.download(
            f"/internal/members/{segment(member_number)}/statements/archive",
            route="GET /internal/members/{member_number}/statements/archive",
            token=token,
            params=params,
            media_types=frozenset({ZIP_MEDIA_TYPE}),
        )

"""Typed client of the claims service: answers validated against `claims.api`'s models."""

from __future__ import annotations

from typing import Any

from claims.api import LatestReimbursements, ReimbursementDetail, ReimbursementList
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

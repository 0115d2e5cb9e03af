"""Typed client of the portfolio service: answers validated against `portfolio.api`'s models."""

from __future__ import annotations

from typing import Any

from fastapi.responses import StreamingResponse

from extranet_plumbing.exports import MEDIA_TYPES
from gateway.clients.base import Relayed, ServiceClient, segment
from portfolio.api import (
    AddressChangeAccepted,
    BrokerDashboard,
    BrokerProfile,
    CompanyDetail,
    CompanyList,
    CompanySheet,
    Contributions,
    EmployeeDetail,
    EmployeeList,
    EmployeeSearchResult,
    EmployerContracts,
    GuaranteeList,
    InsuredList,
)

EMPLOYER_DOWNLOADS = frozenset({MEDIA_TYPES["xlsx"], "text/csv"})


class PortfolioClient(ServiceClient):
    async def broker_dashboard(self, token: str, broker_code: str, month: str | None = None) -> Relayed:
        return await self.relay(
            "GET",
            "/internal/brokers/{broker_code}/dashboard",
            broker_code=broker_code,
            model=BrokerDashboard,
            token=token,
            params={"month": month} if month else None,
        )

    # Effectifs, Productions, Radiations: the query parameters go through as the broker gave them
    # (already validated by the gateway's route), and portfolio checks them again.

    async def companies(self, token: str, broker_code: str, params: dict[str, Any]) -> Relayed:
        return await self.relay(
            "GET", "/internal/brokers/{broker_code}/companies", broker_code=broker_code, model=CompanyList, token=token, params=params
        )

    async def company(self, token: str, broker_code: str, company_code: str, params: dict[str, Any]) -> Relayed:
        return await self.relay(
            "GET",
            "/internal/brokers/{broker_code}/companies/{company_code}",
            broker_code=broker_code,
            company_code=company_code,
            model=CompanyDetail,
            token=token,
            params=params,
        )

    async def guarantees(self, token: str, broker_code: str, contract_number: str, params: dict[str, Any]) -> Relayed:
        return await self.relay(
            "GET",
            "/internal/brokers/{broker_code}/contracts/{contract_number}/guarantees",
            broker_code=broker_code,
            contract_number=contract_number,
            model=GuaranteeList,
            token=token,
            params=params,
        )

    async def insured(self, token: str, broker_code: str, contract_number: str | None, params: dict[str, Any]) -> Relayed:
        if contract_number is None:
            return await self.relay(
                "GET", "/internal/brokers/{broker_code}/insured", broker_code=broker_code, model=InsuredList, token=token, params=params
            )
        return await self.relay(
            "GET",
            "/internal/brokers/{broker_code}/contracts/{contract_number}/insured",
            broker_code=broker_code,
            contract_number=contract_number,
            model=InsuredList,
            token=token,
            params=params,
        )

    # Profile: the broker as the legacy system published it, and the address change (a multipart form
    # with the Kbis, passed on as the broker sent it: portfolio reads and checks it).

    async def broker_profile(self, token: str, broker_code: str) -> BrokerProfile:
        return await self.call("GET", "/internal/brokers/{broker_code}/profile", broker_code=broker_code, model=BrokerProfile, token=token)

    async def request_address_change(self, token: str, broker_code: str, form: bytes, content_type: str) -> AddressChangeAccepted:
        return await self.request(
            "POST",
            f"/internal/brokers/{segment(broker_code)}/address-change",
            route="POST /internal/brokers/{broker_code}/address-change",
            model=AddressChangeAccepted,
            token=token,
            headers={"content-type": content_type},
            content=form,
        )

    async def export(self, token: str, broker_code: str, list_path: str, params: dict[str, Any]) -> StreamingResponse:
        """An export of a list (`list_path`: companies, insured, contracts/{n}/insured, contracts/{n}/guarantees),
        streamed through."""
        route_path = "contracts/{contract_number}/" + list_path.rsplit("/", 1)[1] if list_path.startswith("contracts/") else list_path
        return await self.download(
            f"/internal/brokers/{segment(broker_code)}/exports/{list_path}",
            route=f"GET /internal/brokers/{{broker_code}}/exports/{route_path}",
            token=token,
            params=params,
            media_types=frozenset(MEDIA_TYPES.values()),
        )

    # Employer portal (issue 12): what a correspondent reads; portfolio checks its scope again. Relayed as the
    # broker's reads are: validated here, serialised once.

    async def employer_contracts(self, token: str) -> Relayed:
        return await self.relay("GET", "/internal/employer/contracts", model=EmployerContracts, token=token)

    async def company_sheet(self, token: str, contract_number: str, insured_group: str, params: dict[str, Any]) -> Relayed:
        return await self.relay(
            "GET",
            "/internal/employer/contracts/{contract_number}/groups/{insured_group}/sheet",
            contract_number=contract_number,
            insured_group=insured_group,
            model=CompanySheet,
            token=token,
            params=params,
        )

    async def contributions(self, token: str, contract_number: str, insured_group: str) -> Relayed:
        return await self.relay(
            "GET",
            "/internal/employer/contracts/{contract_number}/groups/{insured_group}/contributions",
            contract_number=contract_number,
            insured_group=insured_group,
            model=Contributions,
            token=token,
        )

    async def search_employees(self, token: str, criteria: dict[str, Any]) -> Relayed:
        return await self.relay("POST", "/internal/employer/employees/search", model=EmployeeSearchResult, token=token, json_body=criteria)

    async def employee(self, token: str, membership_id: str, params: dict[str, Any]) -> Relayed:
        return await self.relay(
            "GET",
            "/internal/employer/employees/{membership_id}",
            membership_id=membership_id,
            model=EmployeeDetail,
            token=token,
            params=params,
        )

    async def employees(self, token: str, params: dict[str, Any]) -> Relayed:
        return await self.relay("GET", "/internal/employer/employees", model=EmployeeList, token=token, params=params)

    async def export_employees(self, token: str, params: dict[str, Any]) -> StreamingResponse:
        return await self.file("/internal/employer/exports/employees", token=token, params=params, media_types=EMPLOYER_DOWNLOADS)

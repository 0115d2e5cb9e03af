"""Typed clients of the services' internal APIs. The user's bearer token is passed along so that
each service checks, again, who asks."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import HTTPException

from extranet_plumbing.logging import get_logger

log = get_logger(__name__)


class ServiceClient:
    def __init__(self, name: str, client: httpx.AsyncClient) -> None:
        self.name = name
        self._client = client

    async def request(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            log.error("upstream unreachable", upstream=self.name, error_class=type(exc).__name__)
            raise HTTPException(503, "Le service est momentanément indisponible.") from None
        if response.status_code in (401, 403, 404, 422):
            detail = response.json().get("detail") if response.headers.get("content-type", "").endswith("json") else None
            raise HTTPException(response.status_code, detail)
        if response.status_code >= 400:
            log.error("upstream error", upstream=self.name, status=response.status_code, path=path)
            raise HTTPException(502 if response.status_code < 500 else 503, "Le service est momentanément indisponible.")
        return response.json()

    async def close(self) -> None:
        await self._client.aclose()


class PortfolioClient(ServiceClient):
    async def broker_dashboard(self, token: str, broker_code: str) -> dict:
        return await self.request("GET", f"/internal/brokers/{broker_code}/dashboard", token=token)

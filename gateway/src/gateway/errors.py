"""The gateway's one mapping of upstream failures to the answers a portal receives.

- An upstream 4xx problem document is passed through: its status, `detail` and `errors` (the
  service's own words for the user, in French), and `Retry-After` when throttled.
- An unreachable upstream, a connection broken mid-response or an upstream 5xx: 503.
- An upstream that does not answer in time: 504.
- An answer that does not match the service's declared model (or is not JSON, or is too large): 502.

Every failure is a problem document (RFC 9457), as the services answer theirs.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from extranet_plumbing.http import problem

UNAVAILABLE = "Le service est momentanément indisponible. Veuillez réessayer dans quelques instants."
TOO_SLOW = "Le service met trop de temps à répondre. Veuillez réessayer dans quelques instants."
UNEXPECTED = "Le service a répondu de façon inattendue. Veuillez réessayer plus tard."

# Upstream headers a passed-through refusal keeps (the rest is the upstream's business).
_KEPT_HEADERS = ("retry-after",)


class UpstreamProblem(Exception):
    """A failure of (or a refusal by) an upstream service, as the portal must receive it."""

    def __init__(
        self, status: int, detail: str | None = None, *, errors: list[Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    @classmethod
    def unavailable(cls) -> UpstreamProblem:
        return cls(503, UNAVAILABLE)

    @classmethod
    def timeout(cls) -> UpstreamProblem:
        return cls(504, TOO_SLOW)

    @classmethod
    def bad_answer(cls) -> UpstreamProblem:
        return cls(502, UNEXPECTED)

    @classmethod
    def refusal(cls, status: int, document: Any, headers: Any) -> UpstreamProblem:
        """An upstream 4xx, from its problem document (anything else in it is dropped)."""
        document = document if isinstance(document, dict) else {}
        detail = document.get("detail") if isinstance(document.get("detail"), str) else None
        errors = document.get("errors") if isinstance(document.get("errors"), list) else None
        kept = {name: headers[name] for name in _KEPT_HEADERS if name in headers}
        return cls(status, detail, errors=errors, headers=kept)


async def upstream_problem(_request: Request, exc: UpstreamProblem) -> JSONResponse:
    extra = {"errors": exc.errors} if exc.errors is not None else {}
    response = problem(exc.status, detail=exc.detail, **extra)
    response.headers.update(exc.headers)
    return response


class FieldError(BaseModel):
    field: str | None = None
    message: str


class Problem(BaseModel):
    """RFC 9457 problem document, as every error of the gateway is answered."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


def _documented(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


def problem_responses(*, authenticated: bool = False, validated: bool = True) -> dict[int | str, dict[str, Any]]:
    """The error answers of a portal route, for its OpenAPI description."""
    responses: dict[int | str, dict[str, Any]] = {}
    if authenticated:
        responses[401] = _documented("Jeton absent, invalide ou expiré")
        responses[403] = _documented("Accès refusé")
    if validated:
        responses[422] = _documented("Requête invalide (champs en erreur dans `errors`)")
    responses[502] = _documented("Réponse inattendue du service")
    responses[503] = _documented("Service momentanément indisponible")
    responses[504] = _documented("Le service n'a pas répondu à temps")
    return responses

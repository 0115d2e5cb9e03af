"""The one place where a problem document (RFC 9457) is made, for every service, the gateway and the
request guard alike: its `type` stays `about:blank` (what API users match on), its `title` is said in
French (API users and the people they show it to read it), by status."""

from __future__ import annotations

from typing import Any

PROBLEM_TITLES = {
    400: "Requête incorrecte",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Ressource introuvable",
    405: "Méthode non autorisée",
    406: "Format de réponse non disponible",
    409: "Conflit avec l'état actuel",
    410: "Ressource plus disponible",
    413: "Contenu trop volumineux",
    415: "Type de contenu non pris en charge",
    422: "Requête invalide",
    423: "Ressource verrouillée",
    429: "Trop de requêtes",
    500: "Erreur interne",
    501: "Fonction non disponible",
    502: "Réponse inattendue d'un service",
    503: "Service momentanément indisponible",
    504: "Délai de réponse dépassé",
}
UNEXPECTED_DETAIL = "Une erreur inattendue est survenue. Veuillez réessayer plus tard."


def problem_title(status: int) -> str:
    """The French title of a status (a status without its own: that of its class)."""
    return PROBLEM_TITLES.get(status) or ("Erreur du service" if status >= 500 else "Demande refusée")


def problem_body(status: int, title: str | None = None, detail: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title or problem_title(status), "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body

"""Refusals of the identity flows, as the portals show them (French messages)."""

from __future__ import annotations


class Refused(Exception):
    """A request the flow refuses: HTTP status, a message for the user, and the field at fault."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


# Answers that must not tell a stranger whether an identifier, email or phone exists.
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
BAD_CODE = "Code invalide ou expiré."
BAD_LINK = "Ce lien n'est plus valide. Recommencez la démarche."
TOO_MANY = "Trop de tentatives. Réessayez dans quelques minutes."
CAPTCHA = "La vérification anti-robot a échoué."
CAPTCHA_REQUIRED = "Pour continuer, confirmez que vous n'êtes pas un robot."

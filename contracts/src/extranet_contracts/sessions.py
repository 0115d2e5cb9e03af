"""Sessions ended in identity, for every service that checks access tokens: a revoked session's
access tokens are refused at once everywhere, not when they expire.

Stream: `identity.sessions`, keyed by the account, with a short retention (longer than an access
token's lifetime: an entry matters only until the tokens it names have expired). Every replica of
every token-checking service reads the whole stream from the beginning, without a consumer group.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import Field, model_validator

from extranet_contracts.base import Event

IDENTITY_SESSIONS = "identity.sessions"


class SessionsRevoked(Event):
    """Sessions of an account ended (logout, refresh token reused, terms refused, password changed,
    account deleted): their access tokens must be refused from now on."""

    TYPE: ClassVar[str] = "SessionsRevoked"
    STREAM: ClassVar[str] = IDENTITY_SESSIONS

    account_id: uuid.UUID
    session_ids: list[uuid.UUID] = Field(default_factory=list, description="The sessions ended (the `sid` of their access tokens)")
    issued_before: datetime | None = Field(
        default=None, description="If given, every access token of the account issued at or before this instant is refused too"
    )
    until: datetime = Field(description="When the last access token concerned expires: the revocation matters until then")
    reason: str = Field(
        pattern=r"^[a-z_]{1,40}$", description="logout, refresh_reused, terms_refused, password_changed, password_set, account_deleted"
    )

    @model_validator(mode="after")
    def _names_something(self) -> SessionsRevoked:
        if not self.session_ids and self.issued_before is None:
            raise ValueError("a revocation names sessions, an instant, or both")
        return self

    def key(self) -> str:
        return str(self.account_id)

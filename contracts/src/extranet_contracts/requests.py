"""Requests made in the portals for the legacy management system, which stays the system of record:
its back office applies them (or not) and publishes the outcome in its own events.

Stream: `portal.requests`, keyed by the requester's reference (broker code, member number), so that
one person's requests keep their order. The event id is the request's id.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from extranet_contracts.base import Event
from extranet_contracts.types import Email

PORTAL_REQUESTS = "portal.requests"


class ContactChangeRequested(Event):
    """A broker or member asked, in a portal, to change the email or phone the legacy system has on file."""

    TYPE: ClassVar[str] = "ContactChangeRequested"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    requester_kind: Literal["broker", "member"]
    reference: str = Field(pattern=r"^(M\d{5}|\d{8})$", description="Broker code (M + 5 digits) or member number (8 digits)")
    email: Email | None = Field(default=None, description="The new email, if it changes")
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="The new phone number in E.164, if it changes")

    @model_validator(mode="after")
    def _something_changes(self) -> ContactChangeRequested:
        if self.email is None and self.phone is None:
            raise ValueError("a contact change names a new email, a new phone, or both")
        return self

    def key(self) -> str:
        return self.reference

"""Notification requests from the services, and their outcomes from the notifications service.

Streams: `notifications.requests` (keyed by the recipient's reference, so that one person's
messages keep their order) and `notifications.outcomes` (keyed by the request's event id).
The request's event id is the delivery key: one request, at most one message sent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from extranet_contracts.base import Event
from extranet_contracts.types import Email

REQUESTS = "notifications.requests"
OUTCOMES = "notifications.outcomes"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    reference: str = Field(min_length=1, max_length=80, description="Who, in the requesting service's terms (e.g. broker:M12345)")
    email: Email | None = None
    phone: str | None = Field(default=None, max_length=30, description="As on file; normalised to E.164 when sent")
    display_name: str | None = Field(default=None, max_length=120)


class NotificationRequested(Event):
    """A service asks for a message to be sent to someone, from a template."""

    TYPE: ClassVar[str] = "NotificationRequested"
    STREAM: ClassVar[str] = REQUESTS

    recipient: Recipient
    channels: list[Channel] = Field(min_length=1, max_length=2, description="Allowed channels, in the requester's order")
    preferred_channel: Channel | None = Field(default=None, description="The person's preference, used when allowed")
    template: str = Field(pattern=r"^[a-z][a-z0-9_]{2,60}$")
    locale: str = Field(default="fr", pattern=r"^[a-z]{2}$")
    data: dict[str, Any] = Field(default_factory=dict, description="Template variables that may travel in clear")
    sealed_data: str | None = Field(
        default=None,
        max_length=8000,
        description="Template variables that must not travel in clear (one-time codes, links with tokens), sealed for the "
        "notifications service alone (extranet_plumbing.sealing, context: `seal_context()`); merged into `data` when rendered",
    )

    @model_validator(mode="after")
    def _reachable(self) -> NotificationRequested:
        if Channel.EMAIL in self.channels and self.recipient.email is None and Channel.SMS not in self.channels:
            raise ValueError("email requested but the recipient has no email address")
        if Channel.SMS in self.channels and self.recipient.phone is None and Channel.EMAIL not in self.channels:
            raise ValueError("sms requested but the recipient has no phone number")
        return self

    def key(self) -> str:
        return self.recipient.reference

    def seal_context(self) -> str:
        """What sealed values are bound to: this template, for this recipient."""
        return f"{self.template}|{self.recipient.reference}"


class NotificationDelivered(Event):
    """The message of a request was accepted by the mail server or the SMS provider."""

    TYPE: ClassVar[str] = "NotificationDelivered"
    STREAM: ClassVar[str] = OUTCOMES

    request_id: str = Field(description="Event id of the NotificationRequested")
    channel: Channel
    template: str
    attempts: int = Field(ge=1)
    provider_message_id: str | None = None

    def key(self) -> str:
        return self.request_id


class NotificationFailed(Event):
    """The message of a request could not be delivered (permanently, or after every retry)."""

    TYPE: ClassVar[str] = "NotificationFailed"
    STREAM: ClassVar[str] = OUTCOMES

    request_id: str
    channel: Channel | None = None
    template: str
    attempts: int = Field(ge=0)
    permanent: bool
    reason: str = Field(max_length=500)

    def key(self) -> str:
        return self.request_id

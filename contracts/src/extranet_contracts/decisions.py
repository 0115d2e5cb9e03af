"""Decisions of the insurer's legacy management system on the requests made in the portals
(`portal.requests`): accepted, refused with a reason, or left to an advisor of the back office.

Stream: `legacy.decisions`, keyed by the request's id. A decision names the request by the id its event
carried (`request_id`, or the event's id for a request that names no id of its own). It may arrive
twice, late, before the platform has seen the request, or after a later decision: `decided_at` orders
the decisions of one request (the latest final one wins); consumers keep what they cannot apply yet.
What an accepted request changes is published on the legacy system's own streams (an accepted
termination is followed by `MemberRadiated`, an accepted affiliation by `MemberAffiliated`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import Field

from extranet_contracts.base import Event

DECISIONS = "legacy.decisions"


class _Decision(Event):
    STREAM: ClassVar[str] = DECISIONS

    request_id: uuid.UUID = Field(description="The request decided")
    decided_at: datetime = Field(description="When the legacy system decided (orders the decisions of one request)")

    def key(self) -> str:
        return str(self.request_id)


class RequestAccepted(_Decision):
    """The legacy system accepted the request and applied it."""

    TYPE: ClassVar[str] = "RequestAccepted"

    legacy_reference: str | None = Field(default=None, max_length=40, description="The legacy system's reference of the operation")


class RequestRefused(_Decision):
    """The legacy system refused the request, with the reason shown to the requester (French)."""

    TYPE: ClassVar[str] = "RequestRefused"

    reason: str = Field(min_length=1, max_length=300)


class RequestReferredToAdvisor(_Decision):
    """The legacy system cannot decide alone: an advisor of the back office will."""

    TYPE: ClassVar[str] = "RequestReferredToAdvisor"

    note: str | None = Field(default=None, max_length=300, description="Why (French), for the advisor")

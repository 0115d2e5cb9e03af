"""A request and its life: plain rules, no framework.

    draft ──submit──▶ submitted ──(its event is on portal.requests)──▶ sent ──▶ accepted
      │                                                                  │  └──▶ refused (reason)
      └──cancel──▶ cancelled                       (left to an advisor: stays sent until decided)

A request leaves through the outbox when it is submitted; it is *sent* once the engine reads its event
back from `portal.requests` (it is then on Kafka, where the legacy system reads it). A decision of the
legacy system may arrive before that, twice, or after a later one: a final decision is never replaced
by a referral, and between two final decisions the one decided last wins (the legacy system corrected
itself); the same decision again changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SENT = "sent"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    Status.DRAFT: "Brouillon",
    Status.SUBMITTED: "Envoyée",
    Status.SENT: "Transmise à la gestion",
    Status.ACCEPTED: "Acceptée",
    Status.REFUSED: "Refusée",
    Status.CANCELLED: "Annulée",
}
FINAL = frozenset({Status.ACCEPTED, Status.REFUSED, Status.CANCELLED})
DECIDED = frozenset({Status.ACCEPTED, Status.REFUSED})
PENDING = frozenset({Status.SUBMITTED, Status.SENT})


class Actor(StrEnum):
    """Who made a transition."""

    REQUESTER = "requester"  # the account that asked (broker, member, correspondent)
    PLATFORM = "platform"  # the engine itself (the request reached Kafka)
    LEGACY = "legacy"  # the legacy management system's decision
    ADVISOR = "advisor"  # an operator of the back office


ACTOR_LABELS = {
    Actor.REQUESTER: "Vous",
    Actor.PLATFORM: "Plateforme",
    Actor.LEGACY: "Service gestion",
    Actor.ADVISOR: "Conseiller",
}


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    ADVISOR = "advisor"  # left to an advisor


@dataclass(frozen=True)
class Transition:
    at: datetime
    actor: Actor
    actor_id: str | None
    status: Status
    note: str | None = None


@dataclass
class Request:
    id: uuid.UUID
    tenant: str
    kind: str
    portal: str  # broker | member | employer
    account: str  # the requester's account id (or reference, for a request another service made)
    reference: str  # broker code, member number, company code
    subject: str | None  # for whom, as the requester reads it
    company_code: str | None
    contract_number: str | None
    payload: dict[str, Any]
    attachments: list[dict[str, Any]]
    status: Status
    created_at: datetime
    submitted_at: datetime | None = None
    sent_at: datetime | None = None
    decided_at: datetime | None = None
    refusal_reason: str | None = None
    awaiting_advisor: bool = False
    advisor_decision: dict[str, Any] | None = None
    effective_window: tuple[date, date] | None = None
    history: list[Transition] = field(default_factory=list)

    @property
    def year(self) -> int:
        return (self.submitted_at or self.created_at).year


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    decided_at: datetime
    reason: str | None = None  # a refusal's
    note: str | None = None


class NotAllowed(Exception):
    """A transition the request's status does not allow (answered as a conflict)."""


def submit(request: Request, now: datetime, actor_id: str) -> Transition:
    if request.status != Status.DRAFT:
        raise NotAllowed("Cette demande a déjà été envoyée.")
    request.status, request.submitted_at = Status.SUBMITTED, now
    return _record(request, Transition(now, Actor.REQUESTER, actor_id, Status.SUBMITTED))


def cancel(request: Request, now: datetime, actor_id: str) -> Transition:
    """Only a draft: once submitted, the request is on its way to the legacy system."""
    if request.status != Status.DRAFT:
        raise NotAllowed("Seul un brouillon peut être annulé : cette demande est déjà transmise.")
    request.status = Status.CANCELLED
    return _record(request, Transition(now, Actor.REQUESTER, actor_id, Status.CANCELLED))


def mark_sent(request: Request, now: datetime) -> Transition | None:
    """Its event was read back from Kafka. A request decided already (its decision came first) keeps its status."""
    if request.sent_at is None:
        request.sent_at = now
    if request.status != Status.SUBMITTED:
        return None
    request.status = Status.SENT
    return _record(request, Transition(now, Actor.PLATFORM, None, Status.SENT))


def apply_decision(request: Request, decision: Decision, now: datetime) -> Transition | None:
    """The legacy system's decision; None when it changes nothing (a duplicate, an older one, a referral
    after a final decision, or any decision of a draft or cancelled request)."""
    if request.status in (Status.DRAFT, Status.CANCELLED):
        return None
    if decision.outcome == Outcome.ADVISOR:
        if request.status in DECIDED or request.awaiting_advisor:
            return None
        request.awaiting_advisor = True
        request.status = Status.SENT
        request.sent_at = request.sent_at or now
        return _record(
            request, Transition(decision.decided_at, Actor.LEGACY, None, Status.SENT, decision.note or "Confiée à un conseiller")
        )
    status = Status.ACCEPTED if decision.outcome == Outcome.ACCEPTED else Status.REFUSED
    if request.status in DECIDED:
        same = request.status == status and request.refusal_reason == decision.reason
        if same or request.decided_at is None or decision.decided_at <= request.decided_at:
            return None  # the same decision again, or an older one than the decision kept
    request.status, request.decided_at, request.awaiting_advisor = status, decision.decided_at, False
    request.refusal_reason = decision.reason if status == Status.REFUSED else None
    request.sent_at = request.sent_at or now
    return _record(request, Transition(decision.decided_at, Actor.LEGACY, None, status, request.refusal_reason))


def decide_as_advisor(request: Request, accepted: bool, reason: str | None, now: datetime, operator: str) -> Transition:
    """An operator decides a request the legacy system left to an advisor; the legacy system applies it."""
    if not request.awaiting_advisor or request.status != Status.SENT:
        raise NotAllowed("Cette demande n'attend pas la décision d'un conseiller.")
    request.awaiting_advisor = False
    request.advisor_decision = {"accepted": accepted, "reason": reason, "operator": operator, "at": now.isoformat()}
    note = "Accord du conseiller" if accepted else f"Refus du conseiller : {reason}"
    return _record(request, Transition(now, Actor.ADVISOR, operator, Status.SENT, note))


def _record(request: Request, transition: Transition) -> Transition:
    request.history.append(transition)
    return transition

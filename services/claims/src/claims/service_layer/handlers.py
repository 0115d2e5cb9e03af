"""What the claims service does with each event it consumes: the one map the consumer reads (its
topics are derived from it). Every event is a projection: one order-independent SQL statement,
applied a batch at a time; a payment's also announces a new statement (`documents`), so that a payment
is read, validated and recorded in the inbox once (the statements that came before their household's file are
announced by `documents.announcement_sweeper`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from claims.adapters import read_model
from claims.service_layer import documents
from extranet_contracts.claims import ReimbursementPaid
from extranet_contracts.households import CommunicationPreferencesRecorded, HouseholdBeneficiariesRecorded, MemberContractRecorded
from extranet_plumbing.consumer import Handlers
from extranet_plumbing.settings import ServiceSettings

READ_MODEL_GROUP = "claims-read-model"


def handlers(clock: Callable[[], datetime], settings: ServiceSettings | None = None) -> Handlers:
    """`clock` says which statements are new; `settings` name the outbox's topic (the bench asks for the topics only)."""
    return {
        ReimbursementPaid: documents.paid_and_announced(clock, settings),
        MemberContractRecorded: read_model.member_contract_recorded,
        HouseholdBeneficiariesRecorded: read_model.household_beneficiaries_recorded,
        CommunicationPreferencesRecorded: read_model.communication_preferences_recorded,
    }

"""The event catalogue: every (type, version) the platform knows, and its model."""

from __future__ import annotations

from extranet_contracts import claims, decisions, households, legacy, notifications, requests, sessions
from extranet_contracts.base import Event

CATALOGUE: dict[tuple[str, int], type[Event]] = {
    (model.TYPE, model.VERSION): model
    for model in (
        legacy.BrokerRegistered,
        legacy.BrokerPortfolioCompanyAssigned,
        legacy.BrokerPortfolioCompanyWithdrawn,
        legacy.CompanyRegistered,
        legacy.CompanyDocumentIssued,
        legacy.CollectiveContractSigned,
        legacy.GuaranteeAttached,
        legacy.MemberAffiliated,
        legacy.MemberRadiated,
        legacy.ContributionPayerRecorded,
        legacy.ContributionScheduled,
        legacy.ContributionPaid,
        claims.ReimbursementPaid,
        households.MemberContractRecorded,
        households.HouseholdBeneficiariesRecorded,
        households.CommunicationPreferencesRecorded,
        notifications.NotificationRequested,
        notifications.NotificationDelivered,
        notifications.NotificationFailed,
        requests.ContactChangeRequested,
        requests.BrokerAddressChangeRequested,
        requests.BrokerContactChangeRequested,
        requests.EmployeeTerminationRequested,
        requests.AffiliationRequested,
        requests.TpCardOrdered,
        requests.PaperlessOptionRequested,
        requests.MessageSent,
        requests.BeneficiaryAdditionRequested,
        requests.AdvisorDecisionRecorded,
        requests.BenefitsIbanChangeRequested,
        requests.ContributionIbanChangeRequested,
        requests.DebitDayChangeRequested,
        requests.BeneficiaryRemovalRequested,
        requests.GuaranteeChangeRequested,
        requests.MemberAddressChangeRequested,
        requests.MemberContactDetailsChangeRequested,
        requests.CommunicationChoicesChangeRequested,
        requests.SponsorshipProposed,
        requests.ContributionPaymentRequested,
        decisions.RequestAccepted,
        decisions.RequestRefused,
        decisions.RequestReferredToAdvisor,
        sessions.SessionsRevoked,
    )
}


class UnknownEventType(LookupError):
    """No model for this (type, version): the consumer must dead-letter the event."""


def lookup(event_type: str, version: int) -> type[Event]:
    try:
        return CATALOGUE[(event_type, version)]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r} version {version}") from None

"""What the enrollment service does with each event it consumes: one map per consumer group (their
topics are derived from them). The requests and decisions are applied one by one (a request's life is
a sequence); the memberships and contracts a correspondent's requests are checked against, and the households' files
a member's are checked against, are projections (the group named after the memberships reads the contracts and the
households too)."""

from enrollment.adapters import contracts, households, invitations, memberships
from enrollment.service_layer import intake, member_changes
from enrollment.service_layer import invitations as online_enrollment
from extranet_contracts.decisions import RequestAccepted, RequestReferredToAdvisor, RequestRefused
from extranet_contracts.households import HouseholdBeneficiariesRecorded, MemberContractRecorded
from extranet_contracts.legacy import CollectiveContractSigned, CompanyRegistered, GuaranteeAttached, MemberAffiliated, MemberRadiated
from extranet_contracts.notifications import NotificationDelivered, NotificationFailed
from extranet_contracts.requests import (
    AffiliationRequested,
    BeneficiaryAdditionRequested,
    BrokerAddressChangeRequested,
    BrokerContactChangeRequested,
    ContactChangeRequested,
    EmployeeTerminationRequested,
    MessageSent,
    PaperlessOptionRequested,
    TpCardOrdered,
)
from extranet_plumbing.consumer import Handlers

REQUESTS_GROUP = "enrollment-requests"
MEMBERSHIPS_GROUP = "enrollment-memberships"

REQUEST_HANDLERS: Handlers = {
    EmployeeTerminationRequested: intake.own_request_read_back,
    AffiliationRequested: intake.own_request_read_back,
    TpCardOrdered: intake.own_request_read_back,
    PaperlessOptionRequested: intake.own_request_read_back,
    MessageSent: intake.own_request_read_back,
    BeneficiaryAdditionRequested: intake.own_request_read_back,
    BrokerContactChangeRequested: intake.own_request_read_back,
    # The member's situation changes (their IBAN kept masked when tracked from the event).
    **{change: member_changes.change_read_back for change in member_changes.KIND_OF},
    ContactChangeRequested: intake.contact_change_requested,
    BrokerAddressChangeRequested: intake.address_change_requested,
    RequestAccepted: intake.decision_received,
    RequestRefused: intake.decision_received,
    RequestReferredToAdvisor: intake.decision_received,
    # Whether the online enrollment's mails reached the employees.
    NotificationDelivered: online_enrollment.mail_outcome,
    NotificationFailed: online_enrollment.mail_outcome,
}

MEMBERSHIP_HANDLERS: Handlers = {
    MemberAffiliated: memberships.member_affiliated,
    MemberRadiated: memberships.member_radiated,
    CollectiveContractSigned: contracts.contract_signed,
    GuaranteeAttached: contracts.guarantee_attached,
    CompanyRegistered: invitations.company_registered,  # the name the invitations are signed with
    # The member's contract and household (guarantees held, amount due, dependants by identifier).
    MemberContractRecorded: households.contract_recorded,
    HouseholdBeneficiariesRecorded: households.beneficiaries_recorded,
}

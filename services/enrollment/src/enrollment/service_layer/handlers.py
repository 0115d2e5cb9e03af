"""What the enrollment service does with each event it consumes: one map per consumer group (their
topics are derived from them). The requests and decisions are applied one by one (a request's life is
a sequence); the memberships a correspondent's requests are checked against are projections."""

from enrollment.adapters import memberships
from enrollment.service_layer import intake
from extranet_contracts.decisions import RequestAccepted, RequestReferredToAdvisor, RequestRefused
from extranet_contracts.legacy import MemberAffiliated, MemberRadiated
from extranet_contracts.requests import BrokerAddressChangeRequested, ContactChangeRequested, EmployeeTerminationRequested
from extranet_plumbing.consumer import Handlers

REQUESTS_GROUP = "enrollment-requests"
MEMBERSHIPS_GROUP = "enrollment-memberships"

REQUEST_HANDLERS: Handlers = {
    EmployeeTerminationRequested: intake.termination_requested,
    ContactChangeRequested: intake.contact_change_requested,
    BrokerAddressChangeRequested: intake.address_change_requested,
    RequestAccepted: intake.decision_received,
    RequestRefused: intake.decision_received,
    RequestReferredToAdvisor: intake.decision_received,
}

MEMBERSHIP_HANDLERS: Handlers = {
    MemberAffiliated: memberships.member_affiliated,
    MemberRadiated: memberships.member_radiated,
}

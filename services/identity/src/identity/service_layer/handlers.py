"""What identity does with each event it consumes: the maps its consumers read (their topics are
derived from them). The handlers get the service's collaborators (`tools`) bound here."""

from __future__ import annotations

from functools import partial

from extranet_contracts.legacy import BrokerRegistered, CollectiveContractSigned, CompanyRegistered, MemberAffiliated, MemberRadiated
from extranet_contracts.notifications import NotificationDelivered, NotificationFailed
from extranet_plumbing.consumer import Handlers
from identity.service_layer import legacy_intake, outcomes
from identity.service_layer.common import Tools

LEGACY_INTAKE_GROUP = "identity-legacy-intake"
OUTCOMES_GROUP = "identity-notification-outcomes"

# Whether each mail identity asked for was delivered: matched by the request's event id.
OUTCOME_HANDLERS: Handlers = {NotificationDelivered: outcomes.delivered, NotificationFailed: outcomes.failed}


def legacy_handlers(tools: Tools) -> Handlers:
    return {
        BrokerRegistered: partial(legacy_intake.broker_registered, tools=tools),
        MemberAffiliated: partial(legacy_intake.member_affiliated, tools=tools),
        MemberRadiated: partial(legacy_intake.member_radiated, tools=tools),
        CompanyRegistered: partial(legacy_intake.company_registered, tools=tools),
        CollectiveContractSigned: partial(legacy_intake.contract_signed, tools=tools),
    }

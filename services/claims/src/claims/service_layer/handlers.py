"""What the claims service does with each event it consumes: the one map the consumer reads (its
topics are derived from it). Every event is a projection: one order-independent SQL statement,
applied a batch at a time."""

from claims.adapters import read_model
from extranet_contracts.claims import ReimbursementPaid
from extranet_contracts.households import CommunicationPreferencesRecorded, HouseholdBeneficiariesRecorded, MemberContractRecorded
from extranet_plumbing.consumer import Handlers

READ_MODEL_GROUP = "claims-read-model"

HANDLERS: Handlers = {
    ReimbursementPaid: read_model.reimbursement_paid,
    MemberContractRecorded: read_model.member_contract_recorded,
    HouseholdBeneficiariesRecorded: read_model.household_beneficiaries_recorded,
    CommunicationPreferencesRecorded: read_model.communication_preferences_recorded,
}

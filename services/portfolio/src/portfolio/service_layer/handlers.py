"""What the portfolio service does with each event it consumes: the one map the consumer reads
(its topics are derived from it). Every legacy event is a projection: one order-independent SQL
statement, applied a batch at a time."""

import secrets

from extranet_contracts.legacy import (
    BrokerPortfolioCompanyAssigned,
    BrokerPortfolioCompanyWithdrawn,
    BrokerRegistered,
    CollectiveContractSigned,
    CompanyDocumentIssued,
    CompanyRegistered,
    ContributionPaid,
    ContributionPayerRecorded,
    ContributionScheduled,
    GuaranteeAttached,
    MemberAffiliated,
    MemberRadiated,
)
from extranet_plumbing.consumer import Handlers
from portfolio.adapters import company_documents, read_model
from portfolio.domain.employer import NirDigest

READ_MODEL_GROUP = "portfolio-read-model"


def read_model_handlers(nir_digest: NirDigest) -> Handlers:
    """The map with the service's keyed NIR digest (bootstrap's, from the settings)."""
    return {**HANDLERS, MemberAffiliated: read_model.member_affiliated(nir_digest)}


# The map's event types (bench, tests); its NIR digests are under a key of this process only: the service
# runs `read_model_handlers(bootstrap's digest)`.
HANDLERS: Handlers = {
    BrokerRegistered: read_model.broker_registered,
    BrokerPortfolioCompanyAssigned: read_model.company_assigned,
    BrokerPortfolioCompanyWithdrawn: read_model.company_withdrawn,
    CompanyRegistered: read_model.company_registered,
    CollectiveContractSigned: read_model.contract_signed,
    GuaranteeAttached: read_model.guarantee_attached,
    MemberAffiliated: read_model.member_affiliated(NirDigest(secrets.token_bytes(32))),
    MemberRadiated: read_model.member_radiated,
    ContributionPayerRecorded: read_model.contribution_payer_recorded,
    ContributionScheduled: read_model.contribution_scheduled,
    ContributionPaid: read_model.contribution_paid,
    CompanyDocumentIssued: company_documents.company_document_issued,
}

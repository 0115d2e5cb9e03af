"""What the portfolio service does with each event it consumes: the one map the consumer reads
(its topics are derived from it). Every legacy event is a projection: one order-independent SQL
statement, applied a batch at a time."""

from extranet_contracts.legacy import (
    BrokerPortfolioCompanyAssigned,
    BrokerPortfolioCompanyWithdrawn,
    BrokerRegistered,
    CollectiveContractSigned,
    CompanyRegistered,
    GuaranteeAttached,
    MemberAffiliated,
    MemberRadiated,
)
from extranet_plumbing.consumer import Handlers
from portfolio.adapters import read_model

READ_MODEL_GROUP = "portfolio-read-model"

HANDLERS: Handlers = {
    BrokerRegistered: read_model.broker_registered,
    BrokerPortfolioCompanyAssigned: read_model.company_assigned,
    BrokerPortfolioCompanyWithdrawn: read_model.company_withdrawn,
    CompanyRegistered: read_model.company_registered,
    CollectiveContractSigned: read_model.contract_signed,
    GuaranteeAttached: read_model.guarantee_attached,
    MemberAffiliated: read_model.member_affiliated,
    MemberRadiated: read_model.member_radiated,
}

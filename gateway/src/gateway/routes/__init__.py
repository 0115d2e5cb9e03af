"""The gateway's routers: one per portal, plus `auth` (sessions, terms, password, self-care), which
every portal shares."""

from gateway.routes import (
    attachments,
    auth,
    backoffice,
    broker,
    broker_profile,
    employer,
    employer_company,
    employer_documents,
    member,
    member_claims,
    member_household,
    member_requests,
    requests,
)

ROUTERS = (
    auth.router,
    broker.router,
    broker_profile.router,
    member.router,
    member_claims.router,
    member_household.router,
    member_requests.router,
    employer.router,
    employer_company.router,
    employer_documents.router,
    backoffice.router,
    requests.router,
    attachments.router,
)

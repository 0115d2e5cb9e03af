"""The portals' pages: what every portal shares (`account`), each portal's home, and each portal's own."""

from portals.routes import (
    account,
    backoffice,
    broker_lists,
    broker_profile,
    employer,
    employer_company,
    employer_enrollment,
    employer_requests,
    home,
    member,
    member_changes,
    member_requests,
    member_space,
    requests,
)

ROUTERS = (
    account.router,
    home.router,
    member.router,
    employer.router,
    broker_lists.router,
    broker_profile.router,
    member_space.router,
    requests.router,
    employer_company.router,
    employer_requests.router,
    employer_enrollment.router,
    member_requests.router,
    member_changes.router,
    backoffice.router,
)

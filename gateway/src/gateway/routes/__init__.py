"""The gateway's routers: one per portal, plus `auth` (sessions, terms, password, self-care), which
every portal shares."""

from gateway.routes import auth, backoffice, broker, employer, member

ROUTERS = (auth.router, broker.router, member.router, employer.router, backoffice.router)

"""The portfolio service: companies, collective contracts, memberships and broker portfolios, kept
from the legacy system's events, and the read models of the broker and employer portals."""

"""The enrollment service: the request engine. Every change a portal asks of the legacy system is a
request here (who asked, for whom, a typed payload per kind, status and history); requests leave
through the outbox on `portal.requests`, the legacy system's decisions come back on `legacy.decisions`,
and the back office decides those the legacy system leaves to an advisor."""

"""The broker portal's pages (espace courtier): the dashboard of a month, the month chosen in a list
(htmx replaces the dashboard only; without JavaScript the form reloads the page)."""

import re

from fastapi.responses import Response

from extranet_contracts.calendar import today_in_france
from portals.formats import previous_months
from portals.web import Account
from portfolio.api import BrokerDashboard
from portfolio.domain.periods import MONTH_PATTERN

MONTHS_OFFERED = 24


async def home(visit: Account) -> Response:
    month = visit.request.query_params.get("mois") or None

    if month is not None and not re.fullmatch(MONTH_PATTERN, month):
        month = None
    dashboard = await visit.api("GET", "/api/broker/dashboard", params={"month": month} if month else None, model=BrokerDashboard)
    today = today_in_france()
    months = previous_months(f"{today:%Y-%m}", MONTHS_OFFERED)
    partial = visit.request.headers.get("hx-request") == "true"
    exits = {count.month: count.count for count in dashboard.exits}
    return await visit.render(
        "broker_dashboard_part.html" if partial else "broker_dashboard.html",
        title="Accueil",
        dashboard=dashboard,
        months=months,
        exits=exits,
        movements=sorted(
            dashboard.latest_affiliations + dashboard.latest_radiations, key=lambda m: (m.recorded_on, m.effective_date), reverse=True
        ),
    )

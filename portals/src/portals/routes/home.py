"""The home page (/accueil) of each portal: the broker's dashboard, the member's and the employer's home, the
operators' requests waiting for an advisor."""

from fastapi import APIRouter
from fastapi.responses import Response

from portals.routes import backoffice, broker, employer, member_space
from portals.web import Account

router = APIRouter()
HOMES = {"broker": broker.home, "member": member_space.home, "employer": employer.home, "backoffice": backoffice.home}


@router.get("/accueil")
async def home(visit: Account) -> Response:
    return await HOMES[visit.site.portal](visit)

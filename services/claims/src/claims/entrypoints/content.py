"""The tenant's content in the member portal: the home page's news, the FAQ, the contact details and the
legal notices, from the tenant's files (`claims/content/<tenant>/`: edited without a code change). A
member of the tenant reads them (the household named must be theirs, as on every member route)."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
from fastapi import APIRouter

from claims.api import Contact, Faq, LegalNotices, News
from claims.entrypoints.dependencies import Content, Now
from claims.entrypoints.http import Household
from extranet_plumbing.dependencies import Who

router = APIRouter(prefix="/internal")


@router.get("/members/{member_number}/content/news", response_model=News)
async def news(member_number: Household, who: Who, content: Content, now: Now) -> dict:
    """The news published and not expired, newest first."""
    today = now().date()
    shown = [item for item in content.news(who.tenant) if item.published_on <= today and (item.until is None or today <= item.until)]
    return {"items": sorted(shown, key=lambda item: item.published_on, reverse=True)}


@router.get("/members/{member_number}/content/faq", response_model=Faq)
async def faq(member_number: Household, who: Who, content: Content) -> dict:
    return {"items": content.faq(who.tenant)}


@router.get("/members/{member_number}/content/contact", response_model=Contact)
async def contact(member_number: Household, who: Who, content: Content) -> Contact:
    return content.contact(who.tenant)


@router.get("/members/{member_number}/content/legal-notices", response_model=LegalNotices)
async def legal_notices(member_number: Household, who: Who, content: Content) -> dict:
    return {"paragraphs": content.legal_notices(who.tenant)}

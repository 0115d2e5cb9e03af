"""What the member's reimbursements list is asked for: a beneficiary, a period of payment dates, the
payee (the tiers-payant tab), a page; checked before any query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from extranet_plumbing.http import FieldRefused

PAGE_SIZES = (5, 10, 20, 50, 100)
LATEST = 3  # the home page shows the last three payments
BENEFICIARY_PATTERN = r"^[0-9a-f]{12}$"


class InvalidCriterion(FieldRefused):
    """A criterion that cannot be right: the field at fault and a message for the member (French)."""


@dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = 10

    def __post_init__(self) -> None:
        if self.number < 1:
            raise InvalidCriterion("page", "La page commence à 1.")
        if self.size not in PAGE_SIZES:
            raise InvalidCriterion("page_size", f"Nombre de lignes par page : {', '.join(map(str, PAGE_SIZES))}.")

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class Search:
    """Payments of a household, newest first: of one beneficiary, paid within a period (both ends
    included, either open), to a health professional only (tiers payant)."""

    beneficiary: str | None = None
    start: date | None = None
    end: date | None = None
    to_professionals: bool = False

    def __post_init__(self) -> None:
        if self.beneficiary is not None and not re.match(BENEFICIARY_PATTERN, self.beneficiary):
            raise InvalidCriterion("beneficiary", "Bénéficiaire inconnu.")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InvalidCriterion("to", "La date de fin précède la date de début.")

"""Members as the legacy system knows them, and the rules that match what a person types against
them: names compared without accents, case or hyphens; the three email cases of the legacy match."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import Enum


@dataclass
class MemberOnFile:
    tenant: str
    member_number: str
    last_name: str
    first_name: str
    birth_dates: list[date]
    email: str | None = None
    mobile_phone: str | None = None  # E.164
    postal_code: str | None = None
    contract_numbers: list[str] = field(default_factory=list)
    mutuelle_code: str | None = None  # the member's mutuelle within a union of mutuelles (Solimut)
    radiated_on: date | None = None  # set once every contract of the member is radiated

    def radiated(self, today: date) -> bool:
        """No longer covered: every membership ended before `today`."""
        return self.radiated_on is not None and self.radiated_on < today

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def reference(self) -> str:
        return f"member:{self.member_number}"


def fold_name(text: str) -> str:
    """'Lefèvre-d'Arc' -> 'lefevredarc': what two spellings of one name have in common."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", text.lower())


def same_name(a: str, b: str) -> bool:
    return fold_name(a) != "" and fold_name(a) == fold_name(b)


def same_email(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.strip().lower() == b.strip().lower()


class EmailCase(Enum):
    """The three cases of guide 004 for the email typed in the legacy-match form."""

    NONE_ON_FILE = 1  # no email on file: the given one is accepted and stored
    SAME_AS_ON_FILE = 2  # the given one is the one on file
    OTHER_THAN_ON_FILE = 3  # another one is on file: only an advisor may change it in the legacy system


def legacy_email_case(on_file: str | None, given: str) -> EmailCase:
    if not on_file:
        return EmailCase.NONE_ON_FILE
    return EmailCase.SAME_AS_ON_FILE if same_email(on_file, given) else EmailCase.OTHER_THAN_ON_FILE


class Access(Enum):
    """What a member's login gives: everything, reading only (radiated, within the tenant's period), nothing."""

    FULL = "full"
    READ_ONLY = "read_only"
    NONE = "none"


def read_access_until(radiated_on: date, months: int) -> date:
    """The last day a radiated member may still log in (to read reimbursements): `months` after radiation."""
    index = radiated_on.year * 12 + radiated_on.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for day in (radiated_on.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def member_access(member: MemberOnFile | None, today: date, read_access_months: int) -> Access:
    """A radiated member keeps read access (to see reimbursements) for some months after radiation."""
    if member is None or not member.radiated(today):
        return Access.FULL
    return Access.READ_ONLY if today <= read_access_until(member.radiated_on, read_access_months) else Access.NONE

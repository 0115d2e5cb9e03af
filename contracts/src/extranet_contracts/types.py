"""Constrained value types shared by the event models (identifiers, French numbers, addresses)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field
from stdnum import iban as _iban
from stdnum.exceptions import ValidationError as _StdnumError
from stdnum.fr import nir as _nir
from stdnum.fr import siret as _siret


def _checked(validator, label: str):
    def check(value: str) -> str:
        try:
            return validator.validate(value)
        except _StdnumError as exc:
            raise ValueError(f"invalid {label}: {exc}") from None

    return check


Nir = Annotated[str, AfterValidator(_checked(_nir, "NIR (social security number)"))]
Siret = Annotated[str, AfterValidator(_checked(_siret, "SIRET"))]
Iban = Annotated[str, AfterValidator(_checked(_iban, "IBAN"))]

BrokerCode = Annotated[str, Field(pattern=r"^M\d{5}$", description="Broker code: M + 5 digits")]
CompanyCode = Annotated[str, Field(pattern=r"^\d{8}$", description="Company code: 8 digits")]
MemberNumber = Annotated[str, Field(pattern=r"^\d{8}$", description="Member number: 8 digits, shared by the household")]
MutuelleCode = Annotated[str, Field(pattern=r"^\d{3,4}$", description="A mutuelle's number within a union of mutuelles: 3-4 digits")]
MembershipId = Annotated[str, Field(pattern=r"^[A-Z0-9-]{4,20}$", description="Legacy membership number")]
ContractNumber = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{3,19}$", description="Contract number, e.g. W1-000123 or M1000304")]
OriasNumber = Annotated[str, Field(pattern=r"^\d{8}$")]
Revision = Annotated[int, Field(ge=1, description="Legacy revision of the aggregate; higher wins")]
Email = EmailStr


class Civility(StrEnum):
    MR = "M"
    MRS = "MME"


class Product(StrEnum):
    HEALTH = "SANTE"
    PROVIDENT = "PREVOYANCE"


class Category(StrEnum):
    EXECUTIVES = "CADRES"
    NON_EXECUTIVES = "NON CADRES"
    ALL_STAFF = "ENSEMBLE DU PERSONNEL"


class InsuredGroup(StrEnum):
    """Insured group of a collective contract (groupe d'assurés)."""

    ACTIVE = "A"  # Actif
    PORTABILITY = "P"  # Portabilité
    EVIN = "E"  # loi Evin (former employees, retirees)
    MAINTAINED = "M"  # Maintien


class DependantRole(StrEnum):
    SPOUSE = "CONJOINT"
    CHILD = "ENFANT"
    ADULT = "ADULTE"  # an adult dependant other than the spouse (guide 003: « Conjoint, Adulte, Enfant »)


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    line1: str = Field(min_length=1, max_length=120)
    line2: str | None = Field(default=None, max_length=120)
    locality: str | None = Field(default=None, max_length=80, description="Lieu-dit")
    postal_code: str = Field(pattern=r"^\d{5}$")
    city: str = Field(min_length=1, max_length=80)
    country: str = Field(default="FR", pattern=r"^[A-Z]{2}$")

"""The employer portal's documents on the internal API, declared once (portfolio answers with them, the
gateway validates and declares them): « Mes documents » by section, each file's name, size and date."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extranet_contracts.types import ContractNumber

DocumentKind = Literal["MEMBERSHIP_FORM", "CONTRACT", "BENEFITS_TABLE"]
KIND_LABELS: dict[str, str] = {
    "MEMBERSHIP_FORM": "Bulletins d'adhésion",
    "CONTRACT": "Contrats",
    "BENEFITS_TABLE": "Tableaux de prestations",
}
# The types a document is served as (what the legacy system deposited, checked by the store's rule).
DOCUMENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


class CompanyDocument(BaseModel):
    id: str = Field(description="The document's id (its download)")
    name: str = Field(description="The file's name, as listed")
    size: int = Field(description="Bytes")
    size_label: str = Field(description="As the portal shows it: « 253,0 ko »")
    media_type: Literal["application/pdf", "image/png", "image/jpeg"]
    issued_on: date
    contract_number: str | None = Field(description="The contract it is about; none: the company's")


class DocumentSection(BaseModel):
    kind: DocumentKind
    label: str
    documents: list[CompanyDocument]


class CompanyDocuments(BaseModel):
    """Every section, in the portal's order, even empty."""

    sections: list[DocumentSection]


class DocumentsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contract_number: ContractNumber | None = Field(default=None, description="Only this contract's (and the company's)")

    def params(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True)


def size_label(size: int) -> str:
    """« 253,0 ko », « 1,2 Mo », as guide 003 shows a document's size."""
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} ko".replace(".", ",")
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")

"""The termination pack (attestation de radiation): what it tells the employee keeps after the last day
covered depends on the reason (portability after a dismissal or the end of a contract, the loi Évin after
retirement or death, nothing by right after a resignation), and it prints the facts of the termination on
the tenant's letterhead."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from enrollment.documents.termination_pack import Letterhead, Termination, filename, termination_pack


def termination(reason_code: str, reason: str) -> Termination:
    return Termination(
        request_id="7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        company_name="BTP Rhône Construction SAS",
        company_code="12345678",
        contract_number="W1-000123",
        employee="MARTIN Léa (73000042)",
        member_number="73000042",
        last_day=date(2026, 12, 31),
        reason_code=reason_code,
        reason=reason,
        decided_at=datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
    )


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    ("code", "label", "kept", "said"),
    [
        ("LICENCIEMENT", "Licenciement", "portability", "L911-8"),
        ("FIN DE CONTRAT", "Fin de contrat", "portability", "12 mois"),
        ("RETRAITE", "Retraite", "retirement", "loi Évin"),
        ("DECES", "Décès", "death", "ayants droit"),
        ("DEMISSION", "Démission", "none", "n'ouvre pas de droit"),
    ],
)
def test_what_the_employee_keeps_follows_the_reason(code, label, kept, said):
    ended = termination(code, label)
    assert ended.kept == kept
    text = text_of(termination_pack(ended, Letterhead.of("mbtp"), date(2026, 12, 3)))
    assert said in text and label in text


def test_the_pack_states_the_termination_on_the_tenants_letterhead():
    ended = termination("LICENCIEMENT", "Licenciement")
    text = text_of(termination_pack(ended, Letterhead.of("mbtp"), date(2026, 12, 3)))
    for expected in (
        "Mutuelle MBTP",
        "Attestation de radiation",
        "BTP Rhône Construction SAS (12345678)",
        "W1-000123",
        "MARTIN Léa (73000042)",
        "31/12/2026",
        "01/01/2027",  # contributions stop the day after the last day covered
        "02/12/2026",  # the day the mutuelle accepted it
        "Édité le 03/12/2026",
    ):
        assert expected in text, expected
    assert filename(ended) == "attestation-radiation-73000042.pdf"


def test_an_unknown_tenant_prints_its_code():
    assert Letterhead.of("inconnue").name == "inconnue"

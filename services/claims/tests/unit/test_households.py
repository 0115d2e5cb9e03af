"""The household's file as the member portal shows it: the current guarantee, the contribution block,
masked numbers, the preferences matrix and which statements are online."""

from __future__ import annotations

from datetime import date

from claims.domain.households import Online, contract_page, current_guarantee, mask_iban, mask_nir, preferences_page
from claims.tenancy import ClaimsTenant
from extranet_contracts.testing import member_contract_recorded

TENANT = ClaimsTenant(name="Mutuelle MBTP", paperless_online_days=365, statements_online=10)


def stored(**changes) -> dict:
    return member_contract_recorded(**changes).model_dump(mode="json", exclude={"member_number", "revision"})


def test_the_guarantee_in_force_is_the_latest_started_that_has_not_ended():
    guarantees = stored()["guarantees"]
    assert current_guarantee(guarantees, date(2025, 6, 1))["guarantee_code"] == "SANTE-SOCLE"
    assert current_guarantee(guarantees, date(2026, 1, 1))["guarantee_code"] == "SANTE-SOCLE-2026"
    assert current_guarantee(guarantees, date(2023, 12, 31)) is None
    page = contract_page(stored(), date(2023, 12, 31))
    assert page["current_guarantee"] is None and not any(g["current"] for g in page["guarantees"])


def test_the_contribution_block_reads_as_the_legacy_page():
    page = contract_page(stored(), date(2026, 11, 23))["contribution"]
    assert page["payment"] == "Prélèvement sur salaire, tous les mois"
    assert page["last_payment_text"] == "38,50\u00a0€ le 31/10/2026"
    yearly = stored(contribution={"payment_mode": "CHEQUE", "frequency": "ANNUELLE"})
    block = contract_page(yearly, date(2026, 11, 23))["contribution"]
    assert (block["payment"], block["last_payment_text"]) == (
        "Chèque, tous les ans",
        "Nous n'avons enregistré aucun règlement de votre part.",
    )


def test_numbers_are_masked_as_the_member_may_read_them():
    assert mask_nir("285057800608441") == "2 85 05 ** *** *** 41"
    assert mask_iban("FR7630006000011234567890189") == "FR76 **** **** **** **** ***0 189"


def test_the_preferences_matrix_says_not_defined_for_what_the_legacy_system_left_out():
    rows = preferences_page({"technical": {"email": "ACCEPTE", "sms": "REFUSE"}})
    assert [r["label"] for r in rows] == [
        "Informations techniques",
        "Informations commerciales",
        "Informations partenaires",
        "Autres informations",
    ]
    assert [rows[0][c]["label"] for c in ("email", "post", "sms")] == ["Accepté", "Non défini", "Refusé"]
    assert {rows[3][c]["value"] for c in ("email", "post", "sms")} == {"undefined"}


def test_paperless_puts_a_year_online_otherwise_the_last_ten():
    today = date(2026, 11, 23)
    paperless = Online.rule(True, today, TENANT)
    assert (paperless.since, paperless.last) == (date(2025, 11, 23), None) and "douze derniers mois" in paperless.described(TENANT)
    paper = Online.rule(False, today, TENANT)
    assert (paper.since, paper.last) == (None, 10) and paper.described(TENANT).startswith("Vos 10 derniers relevés")
    other = ClaimsTenant(name="X", paperless_online_days=180, statements_online=5)
    assert Online.rule(False, today, other).last == 5 and "180 derniers jours" in Online.rule(True, today, other).described(other)

"""A member's space (espace adhérent, guide 004) once logged in: the home page's last three
reimbursements and the mutuelle's news; the reimbursements searched by beneficiary and by period, the
tiers-payant tab, a payment's detail act by act, its statement and the period's statements downloaded;
the contract (guarantee history, benefits table, contribution), the beneficiaries with their social
security number and IBAN masked, the communication preferences, the FAQ, contact and legal notices;
the paperless option and the member card ordered, followed in « Mes demandes »."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from extranet_contracts.testing import (
    communication_preferences_recorded,
    household_beneficiaries_recorded,
    member_contract_recorded,
    reimbursement_paid,
)

MEMBER = "73000042"
PASSWORD = "Lagune-Ardoise-73!"
LEA = {"role": "ASSURE", "last_name": "Durand", "first_name": "Léa", "birth_date": "1985-05-12"}
HUGO = {"role": "ENFANT", "last_name": "Durand", "first_name": "Hugo", "birth_date": "2015-03-02"}
CONSULTATION, PHARMACY = reimbursement_paid().model_dump(mode="json")["acts"]


def _payment(reference: str, paid_on: date, acts: list[dict], **overrides):
    amount = sum(float(act["mutuelle_amount"]) for act in acts)
    values = {"reference": reference, "received_on": paid_on, "paid_on": paid_on, "amount": f"{amount:.2f}", "acts": acts}
    return reimbursement_paid(**{**values, **overrides})


async def _household(stack) -> None:
    claims = ("claims",)
    await stack.legacy_event(reimbursement_paid(), applied_by=claims)  # 35507436, paid 17/09/2026: Léa and Hugo, 15,60 €
    await stack.legacy_event(
        _payment(
            "35600001",
            date(2026, 10, 5),
            [PHARMACY],
            payee="TIERS",
            professional_name="Pharmacie du Centre",
            masked_iban=None,
        ),
        applied_by=claims,
    )
    await stack.legacy_event(_payment("35700002", date(2026, 11, 20), [{**CONSULTATION, "act_date": "2026-11-18"}]), applied_by=claims)
    await stack.legacy_event(_payment("35800003", date(2026, 11, 28), [{**CONSULTATION, "act_date": "2026-11-26"}]), applied_by=claims)
    await stack.legacy_event(member_contract_recorded(), applied_by=claims)
    await stack.legacy_event(household_beneficiaries_recorded(), applied_by=claims)
    await stack.legacy_event(communication_preferences_recorded(), applied_by=claims)


def _words(text: str) -> str:
    return " ".join(text.split())


async def _references(page, table: str = "#liste") -> list[str]:
    return [text.split(":")[0].strip() for text in await page.locator(f"{table} tbody tr td:first-child").all_inner_texts()]


async def _downloaded(page, link_name: str) -> bytes:
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=link_name).click()
    download = await download_info.value
    with open(await download.path(), "rb") as file:
        return file.read()


async def test_a_member_reads_reimbursements_contract_and_beneficiaries(stack, page, check):
    await _household(stack)
    await stack.first_login(page, "adherent", "member", MEMBER, PASSWORD, {"member_number": MEMBER})

    # Home: the last three payments, newest first, and the mutuelle's news
    assert await _references(page, "#derniers-remboursements") == ["35800003", "35700002", "35600001"]
    latest = _words(await page.locator("#derniers-remboursements").inner_text())
    assert "28/11/2026" in latest and "9,00 €" in latest and "Pharmacie du Centre" in latest
    assert "Vos relevés de remboursement en ligne" in await page.get_by_role("region", name="Actualités de votre mutuelle").inner_text()
    await check("accueil")

    # Every payment, then Hugo's, then a period
    await stack.nav(page, "Mes remboursements")
    assert await _references(page) == ["35800003", "35700002", "35600001", "35507436"]
    await check("remboursements")
    await page.get_by_label("Bénéficiaire").select_option(label="Hugo Durand")
    await page.get_by_role("button", name="Rechercher").click()
    assert await _references(page) == ["35600001", "35507436"]
    assert "hugo" not in page.url.lower()
    await page.get_by_role("button", name="Réinitialiser").click()
    await page.get_by_label("Payés du").fill("32/11/2026")
    await page.get_by_role("button", name="Rechercher").click()
    assert "JJ/MM/AAAA" in await page.locator("#from-error").inner_text()
    await check("remboursements-date-refusee")
    await page.get_by_label("Payés du").fill("01/11/2026")
    await page.get_by_label("au", exact=True).fill("30/11/2026")
    await page.get_by_role("button", name="Rechercher").click()
    assert await _references(page) == ["35800003", "35700002"]
    assert "2 paiements payés du 01/11/2026 au 30/11/2026" in _words(await page.locator(".as-of").inner_text())
    await check("remboursements-periode")
    archive = zipfile.ZipFile(io.BytesIO(await _downloaded(page, "Télécharger les relevés de la période")))
    assert len(archive.namelist()) == 2 and all(archive.read(name).startswith(b"%PDF-") for name in archive.namelist())

    # The tiers-payant tab: the payments to health professionals (the period still applies)
    await page.get_by_role("button", name="Réinitialiser").click()
    await page.get_by_role("link", name="Tiers payant").click()
    assert await _references(page) == ["35600001"]
    assert "Pharmacie du Centre" in await page.locator("#liste").inner_text()
    await check("tiers-payant")

    # A payment's detail, each act explained
    await page.get_by_role("link", name="Mes remboursements", exact=True).first.click()
    await page.get_by_role("link", name="35507436 : détail du remboursement").click()
    await page.get_by_role("heading", name="Détail de votre remboursement").wait_for()
    details = _words(await page.locator("main").inner_text())
    assert "Montant réglé 15,60 €" in details
    consultation = page.get_by_role("region", name="Consultation médecin généraliste – Léa, le 08/09/2026")
    assert _words(await consultation.locator(".explanation").inner_text())  # explained in plain French
    assert "30,00 €" in _words(await consultation.locator("table").inner_text())
    assert "70 %" in await consultation.locator("table").inner_text()
    await check("remboursement-detail")
    assert (await _downloaded(page, "Imprimer ce paiement (PDF)")).startswith(b"%PDF-")

    # The contract
    await stack.nav(page, "Mon contrat")
    history = _words(await page.locator("#garanties").inner_text())
    assert "SANTE SOCLE 2026 en cours 01/01/2026" in history and "SANTE SOCLE 01/01/2024 31/12/2025" in history
    assert "Optique Équipement à tarif libre 200 € par an" in _words(await page.locator("#prestations").inner_text())
    assert "Prélèvement sur salaire, tous les mois" in await page.get_by_role("region", name="Votre cotisation").inner_text()
    await check("contrat")
    assert (await _downloaded(page, "Télécharger le tableau des prestations (PDF)")).startswith(b"%PDF-")

    # The beneficiaries: the social security number and the IBAN masked
    await stack.nav(page, "Bénéficiaires")
    content = await page.content()
    assert "285057800608441" not in content and "FR7630006000011234567890189" not in content
    listed = _words(await page.locator("#beneficiaires").inner_text())
    assert "Mme Léa Durand 12/05/1985 adhérent 2 85 05" in listed and "Hugo" in listed
    iban = _words(await page.locator("#beneficiaire-1").inner_text())
    assert "IBAN FR76" in iban and "*" in iban and "Crédit Agricole" in iban
    await check("beneficiaires")

    # Preferences, then the tenant's content
    await stack.nav(page, "Mes préférences")
    technical = _words(await page.locator("#choix tbody tr").first.inner_text())
    assert technical.endswith("Non défini Non défini Refusé")
    await check("preferences")
    await stack.nav(page, "FAQ")
    assert await page.locator("details.faq").count() > 0
    await page.locator("details.faq summary").first.click()
    await check("faq")
    await stack.nav(page, "Contact")
    await page.get_by_role("heading", name="Nous contacter").wait_for()
    await check("contact")
    await page.get_by_role("link", name="Mentions légales de l'espace adhérent").click()
    assert await page.locator("main .card p").count() > 0
    await check("mentions-legales")

    # Online services, followed in « Mes demandes »
    await stack.nav(page, "Mes préférences")
    await page.get_by_label("Ne plus m'envoyer de relevé de remboursement à domicile.").check()
    await page.get_by_role("button", name="Valider").click()
    await page.wait_for_url("**/mbtp/adherent/mes-demandes/*")
    assert "est envoyée à nos services" in await page.get_by_role("status").inner_text()
    await check("demande-zero-papier")
    await stack.nav(page, "Mon contrat")
    await page.get_by_role("button", name="Recevoir ma carte mutuelle par courrier").click()
    await page.wait_for_url("**/mbtp/adherent/mes-demandes/*")
    await stack.nav(page, "Mes demandes")
    assert await page.locator("#demandes tbody tr").count() == 2
    await check("mes-demandes")

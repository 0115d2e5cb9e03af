"""The member's requests written in a form (guide 004): « Écrivez-nous » (a subject of the mutuelle's list, the
message, the email the answer goes to) and « Ajouter un bénéficiaire » (a spouse: the social security number
required and agreeing with the birth date and sex, a date of effect the mutuelle allows); each refusal next
to its field, what was typed kept; both followed in « Mes demandes »."""

from __future__ import annotations

import re
from datetime import date, timedelta

from extranet_contracts.calendar import today_in_france

MEMBER = "73000077"  # no collective contract: the member adds a beneficiary themselves
PASSWORD = "Courrier-Bleuet-26!"
ANNE_NIR = "287027800608489"  # a woman born in February 1987
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _words(text: str) -> str:
    return " ".join(text.split())


async def test_a_member_writes_to_us_and_adds_a_beneficiary(stack, page, check):
    await stack.first_login(page, "adherent", "member", MEMBER, PASSWORD, {"member_number": MEMBER})

    # « Écrivez-nous », from the contact page
    await stack.nav(page, "Contact")
    await page.get_by_role("link", name="Écrivez-nous").click()
    await page.wait_for_url("**/mbtp/adherent/ecrivez-nous")
    subjects = await page.get_by_label("Sujet").locator("option").all_inner_texts()
    assert subjects == [
        "Choisissez un sujet",
        "Mes remboursements",
        "Mes cotisations",
        "Mon contrat et mes garanties",
        "Un document",
        "Autre demande",
    ]
    await check("ecrivez-nous")
    await page.get_by_role("button", name="Envoyer").click()
    assert await page.locator("#subject-error").inner_text() == "Ce champ est obligatoire."
    assert await page.locator("#message-error").inner_text() == "Ce champ est obligatoire."
    await page.get_by_label("Sujet").select_option(label="Mes remboursements")
    await page.get_by_label("Votre message").fill("Trop bref")
    await page.get_by_label("Adresse e-mail pour vous répondre").fill("lea.durand@exemple")
    await page.get_by_role("button", name="Envoyer").click()
    assert "Adresse e-mail invalide" in await page.locator("#reply_email-error").inner_text()
    assert await page.locator("#message-error").inner_text() == "Votre message doit comporter de 10 à 4 000 caractères."
    assert await page.get_by_label("Sujet").input_value() == "REMBOURSEMENT"  # what was typed is kept
    await check("ecrivez-nous-refus")
    text = "Bonjour, le remboursement de ma consultation du 18/11 n'apparaît pas encore. Merci de vérifier."
    await page.get_by_label("Votre message").fill(text)
    await page.get_by_label("Adresse e-mail pour vous répondre").fill("lea.durand@exemple.fr")
    # A file joined: one that is no PDF although named so is refused next to its field, what was typed kept.
    joined = page.get_by_label("Pièce jointe (facultative)")
    await joined.set_input_files({"name": "decompte.pdf", "mimeType": "application/pdf", "buffer": b"<html>pas un PDF</html>"})
    await page.get_by_role("button", name="Envoyer").click()
    assert await page.locator("#file-error").inner_text() == "Le fichier doit être un fichier PDF, PNG ou JPEG."
    assert await page.get_by_label("Votre message").input_value() == text
    await check("ecrivez-nous-fichier-refuse")
    await joined.set_input_files({"name": "decompte.pdf", "mimeType": "application/pdf", "buffer": PDF})
    await page.get_by_role("button", name="Envoyer").click()
    await page.wait_for_url(re.compile(r".*/mbtp/adherent/mes-demandes/[0-9a-f-]{36}$"))
    assert "« Message à la mutuelle » est envoyée à nos services" in await page.get_by_role("status").inner_text()
    summary = _words(await page.get_by_role("region", name="Votre demande").inner_text())
    assert "Concernant Mes remboursements" in summary
    request_id = page.url.rsplit("/", 1)[-1]
    joined_files = await stack.enrollment.pool.fetchval("SELECT attachments::text FROM requests WHERE id = $1::uuid", request_id)
    assert '"name": "decompte.pdf"' in joined_files and f'"size": {len(PDF)}' in joined_files  # the file went with the message
    await check("message-envoye")

    # « Ajouter un bénéficiaire », from the beneficiaries page
    await stack.nav(page, "Bénéficiaires")
    await page.get_by_role("link", name="Ajouter un bénéficiaire").click()
    await page.wait_for_url("**/mbtp/adherent/beneficiaires/ajouter")
    window = re.search(r"entre le (\d\d/\d\d/\d{4}) et le (\d\d/\d\d/\d{4})", await page.locator("main p").nth(1).inner_text())
    earliest, latest = (date(*reversed([int(part) for part in found.split("/")])) for found in window.groups())
    assert earliest == today_in_france() and latest > earliest
    await check("ajouter-beneficiaire")
    await page.get_by_label("Conjoint").check()
    await page.get_by_label("Madame").check()
    await page.locator("#last_name").fill("Durand")
    await page.get_by_label("Prénom").fill("Anne")
    await page.get_by_label("Date de naissance").fill("03/02/1987")
    await page.get_by_label("Date d'effet").fill(f"{latest + timedelta(days=1):%d/%m/%Y}")
    await page.get_by_role("button", name="Envoyer la demande").click()
    assert await page.locator("#nir-error").inner_text() == "Le numéro de sécurité sociale du conjoint est obligatoire."
    await page.get_by_label("N° de sécurité sociale").fill("2 87 02 78 006 084 12")  # a wrong key
    await page.get_by_role("button", name="Envoyer la demande").click()
    assert "vérifiez les 15 chiffres et la clé" in await page.locator("#nir-error").inner_text()
    await page.get_by_label("N° de sécurité sociale").fill(ANNE_NIR)
    await page.get_by_role("button", name="Envoyer la demande").click()
    assert "date d'effet doit être comprise" in (await page.locator("#effective_date-error").inner_text()).lower()
    assert await page.get_by_label("Prénom").input_value() == "Anne" and await page.get_by_label("Conjoint").is_checked()
    await check("ajouter-beneficiaire-refus")
    await page.get_by_label("Date d'effet").fill(f"{earliest + timedelta(days=10):%d/%m/%Y}")
    await page.get_by_role("button", name="Envoyer la demande").click()
    await page.wait_for_url(re.compile(r".*/mbtp/adherent/mes-demandes/[0-9a-f-]{36}$"))
    assert "« Ajout d'un bénéficiaire » est envoyée à nos services" in await page.get_by_role("status").inner_text()
    assert "Concernant DURAND Anne" in _words(await page.get_by_role("region", name="Votre demande").inner_text())
    assert ANNE_NIR not in page.url

    # Both followed in « Mes demandes »
    await stack.nav(page, "Mes demandes")
    kinds = await page.locator("#demandes tbody tr td:nth-child(1)").all_inner_texts()
    subjects = await page.locator("#demandes tbody tr td:nth-child(2)").all_inner_texts()
    assert list(zip(kinds, subjects, strict=True)) == [
        ("Ajout d'un bénéficiaire", "DURAND Anne"),
        ("Message à la mutuelle", "Mes remboursements"),
    ]
    await check("mes-demandes")

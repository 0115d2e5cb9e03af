"""What a request's pages (the back office's, the requester's own) show of it: the payload read in French (labels,
dates, the mutuelle's list labels, people and addresses as groups, yes or no, a NIR or an IBAN masked), whatever its kind."""

from portals.asked import Line, readable


def _flat(lines: tuple[Line, ...], depth: int = 0) -> list[tuple[int, str, str]]:
    rows = []
    for line in lines:
        rows.append((depth, line.label, line.value))
        rows += _flat(line.lines, depth + 1)
    return rows


def test_an_affiliation_reads_in_french_with_the_mutuelles_labels():
    payload = {
        "family": {
            "civility": "MME",
            "last_name": "Martin",
            "first_name": "Julie",
            "birth_date": "1990-04-12",
            "nir": "290047800608433",
            "social_scheme": "AGRICOLE",
            "dependants": [{"role": "ENFANT", "civility": "M", "last_name": "Martin", "first_name": "Tom", "birth_date": "2018-06-01"}],
        },
        "bank": {
            "iban": "FR7630006000011234567890189",
            "bic": "AGRIFRPP",
            "holder": "Julie Martin",
            "frequency": "MENSUEL",
            "debit_day": 10,
        },
        "contact": {"email": "julie.martin@exemple.fr"},
    }
    rows = _flat(readable(payload, "mbtp", "affiliation"))
    assert rows[:7] == [
        (0, "Assuré principal et bénéficiaires", ""),
        (1, "Civilité", "Madame"),
        (1, "Nom", "Martin"),
        (1, "Prénom", "Julie"),
        (1, "Date de naissance", "12/04/1990"),
        (1, "N° de sécurité sociale", "2 90 04 ** *** *** 33"),
        (1, "Régime social", "Mutualité sociale agricole"),
    ]
    assert (1, "Bénéficiaires 1", "") in rows and (2, "Qualité", "Enfant") in rows and (2, "Date de naissance", "01/06/2018") in rows
    assert (1, "IBAN", "FR76 **** **** **** **** ***0 189") in rows
    assert (1, "Périodicité", "Mensuelle") in rows and (1, "Jour de prélèvement", "Le 10 du mois") in rows
    assert (0, "Contact", "") in rows and (1, "Adresse e-mail", "julie.martin@exemple.fr") in rows


def test_codes_yes_no_and_unknown_fields():
    termination = _flat(
        readable({"member_number": "73000042", "effective_date": "2026-12-31", "reason": "MUTATION"}, "mbtp", "employee_termination")
    )
    assert termination == [(0, "Numéro d'adhérent", "73000042"), (0, "Date d'effet", "31/12/2026"), (0, "Motif", "Mutation")]
    assert _flat(readable({"paperless": False, "note": None}, "mbtp", "paperless")) == [(0, "Option zéro papier", "Non")]
    assert _flat(readable({"colour": "bleu"}, "mbtp", "message")) == [(0, "Autre information (colour)", "bleu")]


def test_a_nir_or_an_iban_is_never_shown_whole():
    masked = _flat(readable({"nir": "2 90 04 78 006 084 33", "iban": "FR76 **** **** **** **** ***0 189"}, "mbtp", "affiliation"))
    assert masked == [(0, "N° de sécurité sociale", "2 90 04 ** *** *** 33"), (0, "IBAN", "FR76 **** **** **** **** ***0 189")]
    assert _flat(readable({"nir": "1234567", "iban": "FR76123"}, "mbtp", "affiliation")) == [
        (0, "N° de sécurité sociale", "*****67"),
        (0, "IBAN", "*******"),
    ]


def test_a_removal_an_adult_dependant_and_an_online_payment_read_in_french():
    removal = {"beneficiary": {"beneficiary_id": "0123456789ab", "role": "ADULTE", "last_name": "Moreau", "first_name": "Jeanne"}}
    assert ("Qualité", "Adulte à charge") in [(label, value) for _, label, value in _flat(readable(removal, "mbtp", "remove_beneficiary"))]
    payment = {"contract_number": "I-0088", "amount": "58.40", "due_date": "2026-12-01", "payment_reference": "COT-0123456789AB"}
    assert _flat(readable(payment, "solimut", "contribution_payment")) == [
        (0, "Contrat", "I-0088"),
        (0, "Montant payé", "58,40\u00a0€"),
        (0, "Échéance", "01/12/2026"),
        (0, "Référence du paiement", "COT-0123456789AB"),
    ]

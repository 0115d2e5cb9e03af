"""A request the platform cannot read is refused in French, through the gateway: each field at fault named,
what is expected said (never the value sent), and the portal shows those words next to its fields."""

from __future__ import annotations

import json

from portals.adapters.gateway import INVALID_VALUE, problem_of

MEMBER_NUMBER = "73000077"


async def test_a_missing_field_and_a_wrong_date_are_refused_in_french(platform):
    sent = {"member_number": MEMBER_NUMBER, "birth_date": "12/05/1985", "email": "lea.durand@orange.fr"}  # no last_name
    refused = await platform.gateway.post("/api/members/activation-link", json=sent)

    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    document = refused.json()
    assert document["detail"] == "Certains champs sont à corriger."
    assert sorted((e["field"], e["in"], e["message"]) for e in document["errors"]) == [
        ("birth_date", "body", "Date invalide : format attendu AAAA-MM-JJ."),
        ("last_name", "body", "Ce champ est obligatoire."),
    ]
    assert "12/05/1985" not in refused.text and MEMBER_NUMBER not in refused.text
    # The gateway refused it itself: identity was not called.
    assert not [call for call in platform.upstream_calls if call[0] == "identity"]

    # The member portal: the missing field as the gateway says it; the date, the page's own words about what to type.
    shown = problem_of(refused)
    assert shown.fields == {"last_name": "Ce champ est obligatoire.", "birth_date": INVALID_VALUE}
    assert shown.message == "Certains champs sont à corriger."


async def test_a_value_too_long_or_not_allowed_says_what_is_expected_and_ours_keep_their_words(platform):
    refused = await platform.gateway.post(
        "/api/members/activation-link",
        json={"member_number": "7" * 30, "last_name": "Durand", "birth_date": "1985-05-12", "email": "lea.durand-at-orange.fr"},
    )
    assert refused.status_code == 422
    messages = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert messages == {
        "member_number": "Ce champ doit comporter au plus 20 caractères.",
        "email": "Adresse e-mail invalide.",  # identity's own validator, without pydantic's prefix
    }
    assert "7" * 30 not in json.dumps(refused.json()) and "lea.durand" not in refused.text

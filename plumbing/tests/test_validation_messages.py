"""Every 422 of a request that pydantic refuses speaks French: a message by the error's type (and what the
schema expects: a length, a pattern, the values allowed), never the value sent (a NIR, an IBAN); the
field and its location as before; our own validators' French messages kept as they are."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

import httpx
import pytest
from fastapi import FastAPI, Query
from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from extranet_contracts.types import Email, Iban, Nir
from extranet_plumbing.http import FORMAT_OPENINGS, LENGTH_OPENINGS, TO_CORRECT, field_error, french_message, install_conventions

SECRET_NIR = "185057800608436"


class Role(StrEnum):
    CONJOINT = "CONJOINT"
    ENFANT = "ENFANT"


def _checked_day(value: int) -> int:
    if value == 13:
        raise ValueError("Le 13 n'est pas un jour de prélèvement.")
    return value


def _checked_nir(value: str) -> str:
    if not value.isdigit():
        raise PydanticCustomError("nir", "Numéro de sécurité sociale invalide.")
    return value


class Dependant(BaseModel):
    role: Role
    nir: Annotated[str, AfterValidator(_checked_nir)] | None = None


class Change(BaseModel):
    last_name: str = Field(min_length=1, max_length=5)
    message: str = Field("bonjour tout le monde", min_length=10)
    birth_date: date
    postal_code: str = Field("75001", pattern=r"^[0-9]{5}$")
    children: int = 0
    debit_day: Annotated[int, AfterValidator(_checked_day)] = Field(5, ge=1, le=28)
    frequency: Literal["MENSUEL", "TRIMESTRIEL", "ANNUEL"] = "MENSUEL"
    dependants: list[Dependant] = Field(default_factory=list, max_length=2)


def make_app() -> FastAPI:
    app = FastAPI()
    install_conventions(app)

    @app.post("/changes")
    async def change(body: Change) -> dict:
        return {"ok": True}

    @app.get("/search")
    async def search(since: Annotated[date, Query()], page: int = 1) -> dict:
        return {"ok": True}

    @app.get("/refused")
    async def refused() -> dict:
        raise field_error("period", "La période ne peut pas dépasser un an.")

    return app


async def _refusal(method: str, url: str, **kwargs) -> dict:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(make_app()), base_url="http://app") as client:
        answer = await client.request(method, url, **kwargs)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    return answer.json()


def _by_field(document: dict) -> dict[str, tuple[str, str]]:
    return {error["field"]: (error["in"], error["message"]) for error in document["errors"]}


GOOD = {"last_name": "Petit", "birth_date": "1985-05-12"}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"birth_date": ...}, "birth_date", "Ce champ est obligatoire."),
        ({"birth_date": "12/05/1985"}, "birth_date", "Date invalide : format attendu AAAA-MM-JJ."),
        ({"birth_date": "1985-13-12"}, "birth_date", "Date invalide : format attendu AAAA-MM-JJ."),
        ({"last_name": "Dupont-Martin"}, "last_name", "Ce champ doit comporter au plus 5 caractères."),
        ({"last_name": ""}, "last_name", "Ce champ ne peut pas être vide."),
        ({"message": "court"}, "message", "Ce champ doit comporter au moins 10 caractères."),
        ({"postal_code": "7500A"}, "postal_code", "Format invalide (motif attendu : ^[0-9]{5}$)."),
        ({"children": "deux"}, "children", "Format invalide : un nombre entier est attendu."),
        ({"children": 2.5}, "children", "Format invalide : un nombre entier est attendu."),
        ({"debit_day": 30}, "debit_day", "La valeur doit être inférieure ou égale à 28."),
        ({"debit_day": 0}, "debit_day", "La valeur doit être supérieure ou égale à 1."),
        ({"frequency": "HEBDO"}, "frequency", "Valeur non autorisée : choisissez parmi 'MENSUEL', 'TRIMESTRIEL' ou 'ANNUEL'."),
        ({"dependants": [{"role": "PARENT"}]}, "dependants.0.role", "Valeur non autorisée : choisissez parmi 'CONJOINT' ou 'ENFANT'."),
        ({"dependants": [{"role": "ENFANT"}] * 3}, "dependants", "Ce champ doit comporter au plus 2 éléments."),
        ({"dependants": {"role": "ENFANT"}}, "dependants", "Format invalide : une liste est attendue."),
        ({"dependants": ["ENFANT"]}, "dependants.0", "Format invalide : un objet est attendu."),
        ({"last_name": 12}, "last_name", "Format invalide : un texte est attendu."),
    ],
)
async def test_each_common_refusal_of_pydantic_is_said_in_french_naming_its_field(change, field, message):
    body = {name: value for name, value in {**GOOD, **change}.items() if value is not ...}  # `...`: not sent
    document = await _refusal("POST", "/changes", json=body)
    assert document["detail"] == TO_CORRECT
    assert _by_field(document) == {field: ("body", message)}


async def test_our_own_validators_keep_their_french_words_without_pydantic_prefix():
    document = await _refusal("POST", "/changes", json={**GOOD, "debit_day": 13, "dependants": [{"role": "ENFANT", "nir": "1850X"}]})
    assert _by_field(document) == {
        "debit_day": ("body", "Le 13 n'est pas un jour de prélèvement."),
        "dependants.0.nir": ("body", "Numéro de sécurité sociale invalide."),
    }
    assert _by_field(await _refusal("GET", "/refused")) == {"period": ("query", "La période ne peut pas dépasser un an.")}


class Household(BaseModel):
    nir: Nir | None = None
    iban: Iban | None = None
    email: Email | None = None


async def test_the_shared_types_english_checks_are_said_in_french_without_their_reason():
    app = FastAPI()
    install_conventions(app)

    @app.post("/households")
    async def household(body: Household) -> dict:
        return {"ok": True}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://app") as client:
        sent = {"nir": "185057800608437", "iban": "FR7630006000011234567890188", "email": "lea!durand@@orange.fr"}
        answer = await client.post("/households", json=sent)
    assert answer.status_code == 422
    assert _by_field(answer.json()) == {
        "nir": ("body", "Format invalide : numéro de sécurité sociale (NIR) incorrect."),
        "iban": ("body", "Format invalide : IBAN incorrect."),
        "email": ("body", "Format invalide : adresse e-mail incorrecte."),
    }
    assert not any(value in answer.text for value in sent.values()) and "lea" not in answer.text


async def test_query_parameters_and_a_broken_body_are_said_in_french():
    assert _by_field(await _refusal("GET", "/search", params={"page": "deux"})) == {
        "since": ("query", "Ce champ est obligatoire."),
        "page": ("query", "Format invalide : un nombre entier est attendu."),
    }
    broken = await _refusal("POST", "/changes", content=b'{"last_name": ', headers={"content-type": "application/json"})
    assert [error["message"] for error in broken["errors"]] == ["Le contenu envoyé n'est pas un JSON valide."]
    missing_body = await _refusal("POST", "/changes")
    assert _by_field(missing_body) == {"body": ("body", "Ce champ est obligatoire.")}


async def test_the_value_sent_is_never_repeated():
    sent = {
        "last_name": SECRET_NIR,
        "message": "1850",
        "birth_date": SECRET_NIR,
        "postal_code": SECRET_NIR,
        "children": SECRET_NIR + "x",
        "frequency": SECRET_NIR,
        "dependants": [{"role": SECRET_NIR}],
    }
    document = await _refusal("POST", "/changes", json=sent)
    assert len(document["errors"]) == 7
    assert SECRET_NIR not in json.dumps(document) and "1850" not in json.dumps(document)


def test_no_english_message_for_any_type_pydantic_might_answer():
    """Types without a message of their own still get a French one (and never pydantic's words)."""
    assert french_message({"type": "uuid_parsing", "msg": "Input should be a valid UUID", "ctx": {"error": "x"}}) == (
        "Format invalide : un identifiant (UUID) est attendu."
    )
    assert french_message({"type": "frozen_instance", "msg": "Instance is frozen"}) == "Valeur invalide."
    assert french_message({"type": "assertion_error", "msg": "Assertion failed, 185057800608436"}) == "Valeur invalide."
    assert french_message({"type": "value_error", "msg": "Value error, Date d'effet trop lointaine."}) == "Date d'effet trop lointaine."
    # a context missing what the message needs: still French, never a KeyError
    assert french_message({"type": "string_pattern_mismatch", "msg": "String should match pattern"}) == "Valeur invalide."


def test_the_messages_about_a_value_s_form_open_as_announced():
    """A form (the portals) may say better than these what to type: they are recognised by their opening."""
    for error in (
        {"type": "date_parsing"},
        {"type": "datetime_parsing"},
        {"type": "time_parsing"},
        {"type": "int_parsing"},
        {"type": "string_pattern_mismatch", "ctx": {"pattern": "^[0-9]{5}$"}},
        {"type": "literal_error", "ctx": {"expected": "'A' or 'B'"}},
        {"type": "enum", "ctx": {"expected": "'A' or 'B'"}},
        {"type": "frozen_instance"},
    ):
        assert french_message(error).startswith(FORMAT_OPENINGS), error
    for error in (
        {"type": "missing"},
        {"type": "string_too_long", "ctx": {"max_length": 3}},
        {"type": "less_than_equal", "ctx": {"le": 3}},
    ):
        assert not french_message(error).startswith(FORMAT_OPENINGS), error
    for error in (
        {"type": "string_too_short", "ctx": {"min_length": 1}},
        {"type": "string_too_short", "ctx": {"min_length": 10}},
        {"type": "string_too_long", "ctx": {"max_length": 1}},
        {"type": "too_long", "ctx": {"max_length": 2}},
    ):
        assert french_message(error).startswith(LENGTH_OPENINGS) and not french_message(error).startswith(FORMAT_OPENINGS), error
    assert french_message({"type": "string_too_long", "ctx": {"max_length": 1}}) == "Ce champ doit comporter au plus 1 caractère."

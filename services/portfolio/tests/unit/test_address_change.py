"""The address change form (street, complement, lieu-dit, postal code, city, desired effective date)
checked with a French sentence per field at fault, and the request it makes: the Kbis kept, the request
recorded and published in one unit of work, or nothing kept at all."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from extranet_contracts.requests import BrokerAddressChangeRequested
from extranet_plumbing.testing import FakeUnitOfWork
from portfolio.domain.address_change import AddressChangeRefused, address_change, effective_date_window, months_after
from portfolio.domain.documents import check_document
from portfolio.service_layer.address_change import request_address_change

TODAY = date(2026, 12, 1)
FORM = {
    "line1": "8 place Bellecour",
    "line2": "Bâtiment B",
    "locality": "",
    "postal_code": "69002",
    "city": "Lyon",
    "effective_date": "2027-01-01",
}
PDF = b"%PDF-1.7\n%%EOF\n"


def errors_of(**changes) -> dict[str, str]:
    with pytest.raises(AddressChangeRefused) as refused:
        address_change({**FORM, **changes}, TODAY)
    return {error.field: error.message for error in refused.value.errors}


def test_a_complete_form_makes_an_address_and_a_date():
    change = address_change(FORM, TODAY)
    assert change.address.model_dump() == {
        "line1": "8 place Bellecour",
        "line2": "Bâtiment B",
        "locality": None,
        "postal_code": "69002",
        "city": "Lyon",
        "country": "FR",
    }
    assert change.effective_date == date(2027, 1, 1)


def test_every_field_at_fault_is_named_in_french():
    assert errors_of(line1=" ", postal_code="6900", city="", effective_date="") == {
        "line1": "L'adresse est obligatoire.",
        "postal_code": "Le code postal doit compter 5 chiffres.",
        "city": "La ville est obligatoire.",
        "effective_date": "La date d'effet souhaitée est obligatoire.",
    }
    assert errors_of(locality="x" * 81) == {"locality": "Le lieu-dit ne peut dépasser 80 caractères."}
    assert errors_of(line2="Bât.\x00B") == {"line2": "Le complément d'adresse contient des caractères interdits."}
    assert errors_of(effective_date="01/01/2027") == {"effective_date": "La date d'effet souhaitée n'est pas une date valide (AAAA-MM-JJ)."}
    assert errors_of(effective_date="2027-02-30") == {"effective_date": "La date d'effet souhaitée n'est pas une date valide (AAAA-MM-JJ)."}


def test_the_effective_date_is_from_today_to_six_months_ahead():
    assert effective_date_window(TODAY) == (TODAY, date(2027, 6, 1))
    assert address_change({**FORM, "effective_date": "2026-12-01"}, TODAY).effective_date == TODAY
    assert address_change({**FORM, "effective_date": "2027-06-01"}, TODAY).effective_date == date(2027, 6, 1)
    assert errors_of(effective_date="2026-11-30") == {"effective_date": "La date d'effet souhaitée ne peut pas être dans le passé."}
    assert errors_of(effective_date="2027-06-02") == {"effective_date": "La date d'effet souhaitée ne peut pas dépasser le 01/06/2027."}
    assert months_after(date(2026, 8, 31), 6) == date(2027, 2, 28)


class MemoryStore:
    def __init__(self) -> None:
        self.files: dict[tuple[str, uuid.UUID], bytes] = {}

    async def put(self, tenant: str, data: bytes) -> uuid.UUID:
        file_id = uuid.uuid4()
        self.files[(tenant, file_id)] = data
        return file_id

    async def open(self, tenant: str, file_id: uuid.UUID) -> bytes:
        return self.files[(tenant, file_id)]

    async def delete(self, tenant: str, file_id: uuid.UUID) -> None:
        self.files.pop((tenant, file_id), None)


class Requests:
    def __init__(self, fail: bool = False) -> None:
        self.added: list[dict] = []
        self.fail = fail

    async def add(self, **request) -> None:
        if self.fail:
            raise ConnectionResetError("the database went away")
        self.added.append(request)


async def test_the_request_keeps_the_kbis_records_the_request_and_publishes_it():
    store, requests = MemoryStore(), Requests()
    uow = FakeUnitOfWork(broker_requests=requests)
    kbis = check_document("kbis", "Le Kbis", "kbis.pdf", PDF)
    request_id = await request_address_change(
        uow, store, tenant="mbtp", broker_code="M12345", requested_by="account-1", change=address_change(FORM, TODAY), kbis=kbis
    )
    [(tenant, file_id)] = store.files
    assert tenant == "mbtp" and store.files[(tenant, file_id)] == PDF
    [recorded] = requests.added
    assert recorded["request_id"] == request_id and recorded["document"].file_id == file_id
    assert (recorded["kind"], recorded["created_by"], recorded["document"].name) == ("address_change", "account-1", "kbis.pdf")
    assert recorded["payload"]["effective_date"] == "2027-01-01" and recorded["payload"]["address"]["postal_code"] == "69002"
    [(event, published_tenant)] = uow.published
    assert isinstance(event, BrokerAddressChangeRequested) and published_tenant == "mbtp"
    assert (event.request_id, event.broker_code, event.kbis.file_id, event.kbis.sha256) == (request_id, "M12345", file_id, kbis.sha256)
    assert uow.commits == 1


async def test_a_request_that_cannot_be_recorded_keeps_no_file():
    store, uow = MemoryStore(), FakeUnitOfWork(broker_requests=Requests(fail=True))
    kbis = check_document("kbis", "Le Kbis", "kbis.pdf", PDF)
    with pytest.raises(ConnectionResetError):
        await request_address_change(
            uow, store, tenant="mbtp", broker_code="M12345", requested_by="a", change=address_change(FORM, TODAY), kbis=kbis
        )
    assert store.files == {} and uow.published == [] and uow.commits == 0

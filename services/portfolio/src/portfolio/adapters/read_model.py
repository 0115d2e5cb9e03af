"""How the legacy system's events change the read model: one SQL statement per event type.

Each statement gives the same state whatever the order of arrival: snapshots only replace an
older revision, portfolio assignments and withdrawals are kept each with its date (the portfolio
on a day is computed from them), and a membership's affiliation and termination fill separate
columns of one row, each only from a newer revision. Every row keeps when the legacy system last
changed it (the event's time). So they are `Projection`s, which the consumer applies a batch
at a time: the batch's events of one type are staged (COPY) and applied by one statement, which keeps
for each key what applying them one by one would keep (the newest revision; among equal ones, the
first received). `service_layer/handlers.py` maps each event type to its projection.
"""

from __future__ import annotations

import json
from functools import partial

from extranet_contracts import Envelope
from extranet_contracts.legacy import (
    MemberAffiliated,
)
from extranet_contracts.masking import masked_iban, masked_nir
from extranet_plumbing.consumer import Projection
from portfolio.domain.employer import NirDigest
from portfolio.domain.search import fold, name_key


def _snapshot(table: str, key: tuple[str, ...], columns: tuple[str, ...], alias: str) -> str:
    """A snapshot upsert: per key the newest revision of the set (the first received among equal ones), which replaces
    the stored row only if newer."""
    keys, names = ", ".join(key), ", ".join(columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
    return f"""INSERT INTO {table} AS {alias} ({names})
       SELECT DISTINCT ON ({keys}) {names} FROM {{rows}} ORDER BY {keys}, revision DESC, seq
       ON CONFLICT ({keys}) DO UPDATE SET {updates}
       WHERE {alias}.revision < EXCLUDED.revision"""


_BROKER = (
    ("tenant", "text"),
    ("broker_code", "text"),
    ("name", "text"),
    ("orias_number", "text"),
    ("contact_last_name", "text"),
    ("contact_first_name", "text"),
    ("email", "text"),
    ("phone", "text"),
    ("address", "jsonb"),
    ("revision", "integer"),
    ("changed_at", "timestamptz"),
)

broker_registered = Projection(
    "brokers",
    _BROKER,
    lambda env, e: (
        env.tenant,
        e.broker_code,
        e.name,
        e.orias_number,
        e.contact_last_name,
        e.contact_first_name,
        str(e.email),
        e.phone,
        e.address.model_dump_json(),
        e.revision,
        env.time,
    ),
    _snapshot("brokers", ("tenant", "broker_code"), tuple(c for c, _ in _BROKER), "b"),
)

_MOVEMENT_COLUMNS = (
    ("tenant", "text"),
    ("broker_code", "text"),
    ("company_code", "text"),
    ("on_date", "date"),
    ("kind", "text"),
    ("changed_at", "timestamptz"),
)
# Every movement is kept with its date; a movement already known keeps its first time.
_MOVEMENT = """INSERT INTO broker_company_movements (tenant, broker_code, company_code, on_date, kind, changed_at)
       SELECT DISTINCT ON (tenant, broker_code, company_code, on_date, kind) tenant, broker_code, company_code, on_date, kind, changed_at
       FROM {rows} ORDER BY tenant, broker_code, company_code, on_date, kind, seq
       ON CONFLICT DO NOTHING"""

company_assigned = Projection(
    "movements_assigned",
    _MOVEMENT_COLUMNS,
    lambda env, e: (env.tenant, e.broker_code, e.company_code, e.assigned_on, "assigned", env.time),
    _MOVEMENT,
)

company_withdrawn = Projection(
    "movements_withdrawn",
    _MOVEMENT_COLUMNS,
    lambda env, e: (env.tenant, e.broker_code, e.company_code, e.withdrawn_on, "withdrawn", env.time),
    _MOVEMENT,
)

_COMPANY = (
    ("tenant", "text"),
    ("company_code", "text"),
    ("legal_name", "text"),
    ("siret", "text"),
    ("siren", "text"),
    ("address", "jsonb"),
    ("membership_date", "date"),
    ("active", "boolean"),
    ("contacts", "jsonb"),
    ("revision", "integer"),
    ("changed_at", "timestamptz"),
)

company_registered = Projection(
    "companies",
    _COMPANY,
    lambda env, e: (
        env.tenant,
        e.company_code,
        e.legal_name,
        e.siret,
        e.siren,
        e.address.model_dump_json(),
        e.membership_date,
        e.active,
        json.dumps([c.model_dump(mode="json") for c in e.contacts]),
        e.revision,
        env.time,
    ),
    _snapshot("companies", ("tenant", "company_code"), tuple(c for c, _ in _COMPANY), "c"),
)

_CONTRACT = (
    ("tenant", "text"),
    ("contract_number", "text"),
    ("company_code", "text"),
    ("product", "text"),
    ("category", "text"),
    ("effective_date", "date"),
    ("insured_groups", "text[]"),
    ("revision", "integer"),
    ("changed_at", "timestamptz"),
    ("group_details", "jsonb"),
)

contract_signed = Projection(
    "contracts",
    _CONTRACT,
    lambda env, e: (
        env.tenant,
        e.contract_number,
        e.company_code,
        e.product.value,
        e.category.value,
        e.effective_date,
        [g.value for g in e.insured_groups],
        e.revision,
        env.time,
        json.dumps([d.model_dump(mode="json", exclude_none=True) for d in e.group_details]),
    ),
    _snapshot("contracts", ("tenant", "contract_number"), tuple(c for c, _ in _CONTRACT), "c"),
)

_GUARANTEE = (
    ("tenant", "text"),
    ("contract_number", "text"),
    ("guarantee_code", "text"),
    ("name", "text"),
    ("start_date", "date"),
    ("end_date", "date"),
    ("revision", "integer"),
    ("changed_at", "timestamptz"),
    ("brochure", "jsonb"),
)

guarantee_attached = Projection(
    "guarantees",
    _GUARANTEE,
    lambda env, e: (
        env.tenant,
        e.contract_number,
        e.guarantee_code,
        e.name,
        e.start_date,
        e.end_date,
        e.revision,
        env.time,
        e.brochure.model_dump_json() if e.brochure else None,
    ),
    _snapshot("guarantees", ("tenant", "contract_number", "guarantee_code"), tuple(c for c, _ in _GUARANTEE), "g"),
)


def _affiliation(digest: NirDigest, env: Envelope, e: MemberAffiliated) -> tuple:
    # Portfolio keeps who is covered, never a NIR in clear: its keyed digest (to find the employee by the
    # number a correspondent types) and its masked form; the IBAN masked only. Brokers see none of them.
    dependants = [
        {
            "role": d.role.value,
            "civility": d.civility.value,
            "last_name": d.last_name,
            "first_name": d.first_name,
            "birth_date": d.birth_date.isoformat(),
            "nir_masked": masked_nir(d.nir),
        }
        for d in e.dependants
    ]
    bank = e.benefits_bank_details
    return (
        env.tenant,
        e.membership_id,
        e.member_number,
        e.contract_number,
        e.company_code,
        e.insured_group.value,
        e.primary.civility.value,
        e.primary.last_name,
        e.primary.first_name,
        json.dumps(dependants),
        1 + len(e.dependants),
        e.effective_date,
        e.recorded_on,
        e.revision,
        env.time,
        e.primary.birth_date,
        digest(e.primary.nir),
        masked_nir(e.primary.nir),
        e.address.model_dump_json(),
        str(e.email) if e.email else None,
        e.mobile_phone,
        masked_iban(bank.iban) if bank else None,
        e.family_situation.value if e.family_situation else None,
        e.payment_mode.value if e.payment_mode else None,
        e.payment_frequency.value if e.payment_frequency else None,
        name_key(e.primary.last_name, e.primary.first_name),
        fold(e.primary.last_name),
        fold(e.primary.first_name),
    )


_AFFILIATION = (
    ("tenant", "text"),
    ("membership_id", "text"),
    ("member_number", "text"),
    ("contract_number", "text"),
    ("company_code", "text"),
    ("insured_group", "text"),
    ("civility", "text"),
    ("last_name", "text"),
    ("first_name", "text"),
    ("dependants", "jsonb"),
    ("beneficiaries", "integer"),
    ("start_date", "date"),
    ("affiliation_recorded_on", "date"),
    ("affiliation_revision", "integer"),
    ("affiliation_changed_at", "timestamptz"),
    ("birth_date", "date"),
    ("nir_digest", "text"),
    ("nir_masked", "text"),
    ("address", "jsonb"),
    ("email", "text"),
    ("mobile_phone", "text"),
    ("iban_masked", "text"),
    ("family_situation", "text"),
    ("payment_mode", "text"),
    ("payment_frequency", "text"),
    # Folded here rather than generated by PostgreSQL (migration 013): the database's CPU goes to the rows.
    ("search_name", "text"),
    ("search_last_name", "text"),
    ("search_first_name", "text"),
)
_AFFILIATION_NAMES = ", ".join(c for c, _ in _AFFILIATION)
_AFFILIATION_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c, _ in _AFFILIATION if c not in ("tenant", "membership_id"))


def member_affiliated(digest: NirDigest) -> Projection:
    """A membership's affiliation and its exit fill separate columns of one row, each guarded by its own
    revision. `digest` is the service's keyed NIR digest (bootstrap's, from the settings)."""
    return Projection(
        "affiliations",
        _AFFILIATION,
        partial(_affiliation, digest),
        f"""INSERT INTO memberships ({_AFFILIATION_NAMES})
       SELECT DISTINCT ON (tenant, membership_id) {_AFFILIATION_NAMES}
       FROM {{rows}} ORDER BY tenant, membership_id, affiliation_revision DESC, seq
       ON CONFLICT (tenant, membership_id) DO UPDATE SET {_AFFILIATION_UPDATES}
       WHERE memberships.affiliation_revision IS NULL OR memberships.affiliation_revision < EXCLUDED.affiliation_revision""",
    )


member_radiated = Projection(
    "radiations",
    (
        ("tenant", "text"),
        ("membership_id", "text"),
        ("member_number", "text"),
        ("contract_number", "text"),
        ("company_code", "text"),
        ("end_date", "date"),
        ("exit_reason", "text"),
        ("exit_recorded_on", "date"),
        ("exit_revision", "integer"),
        ("exit_changed_at", "timestamptz"),
    ),
    lambda env, e: (
        env.tenant,
        e.membership_id,
        e.member_number,
        e.contract_number,
        e.company_code,
        e.effective_date,
        e.reason,
        e.recorded_on,
        e.revision,
        env.time,
    ),
    """INSERT INTO memberships (tenant, membership_id, member_number, contract_number, company_code, end_date,
                                exit_reason, exit_recorded_on, exit_revision, exit_changed_at)
       SELECT DISTINCT ON (tenant, membership_id)
              tenant, membership_id, member_number, contract_number, company_code, end_date,
              exit_reason, exit_recorded_on, exit_revision, exit_changed_at
       FROM {rows} ORDER BY tenant, membership_id, exit_revision DESC, seq
       ON CONFLICT (tenant, membership_id) DO UPDATE SET
         end_date = EXCLUDED.end_date, exit_reason = EXCLUDED.exit_reason, exit_recorded_on = EXCLUDED.exit_recorded_on,
         exit_revision = EXCLUDED.exit_revision, exit_changed_at = EXCLUDED.exit_changed_at
       WHERE memberships.exit_revision IS NULL OR memberships.exit_revision < EXCLUDED.exit_revision""",
)


# --- contributions (issue 12): payers, schedules, payments, each a snapshot of its id ----------------------

_PAYER = (
    ("tenant", "text"),
    ("contract_number", "text"),
    ("payer_id", "text"),
    ("company_code", "text"),
    ("insured_group", "text"),
    ("share", "text"),
    ("frequency", "text"),
    ("payment_mode", "text"),
    ("pre_litigation", "text"),
    ("pre_litigation_date", "date"),
    ("revision", "integer"),
    ("changed_at", "timestamptz"),
)

contribution_payer_recorded = Projection(
    "contribution_payers",
    _PAYER,
    lambda env, e: (
        env.tenant,
        e.contract_number,
        e.payer_id,
        e.company_code,
        e.insured_group.value,
        e.share.value,
        e.frequency.value,
        e.payment_mode.value,
        e.pre_litigation.value,
        e.pre_litigation_date,
        e.revision,
        env.time,
    ),
    _snapshot("contribution_payers", ("tenant", "contract_number", "payer_id"), tuple(c for c, _ in _PAYER), "p"),
)

_SCHEDULE = (
    ("tenant", "text"),
    ("contract_number", "text"),
    ("schedule_id", "text"),
    ("company_code", "text"),
    ("insured_group", "text"),
    ("payer_id", "text"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("due_date", "date"),
    ("amount_due", "numeric"),
    ("amount_paid", "numeric"),
    ("revision", "integer"),
    ("changed_at", "timestamptz"),
)

contribution_scheduled = Projection(
    "contribution_schedules",
    _SCHEDULE,
    lambda env, e: (
        env.tenant,
        e.contract_number,
        e.schedule_id,
        e.company_code,
        e.insured_group.value,
        e.payer_id,
        e.period_start,
        e.period_end,
        e.due_date,
        e.amount_due,
        e.amount_paid,
        e.revision,
        env.time,
    ),
    _snapshot("contribution_schedules", ("tenant", "contract_number", "schedule_id"), tuple(c for c, _ in _SCHEDULE), "s"),
)

_PAYMENT = (
    ("tenant", "text"),
    ("contract_number", "text"),
    ("payment_id", "text"),
    ("company_code", "text"),
    ("insured_group", "text"),
    ("schedule_id", "text"),
    ("paid_on", "date"),
    ("amount", "numeric"),
    ("payment_mode", "text"),
    ("revision", "integer"),
    ("changed_at", "timestamptz"),
)

contribution_paid = Projection(
    "contribution_payments",
    _PAYMENT,
    lambda env, e: (
        env.tenant,
        e.contract_number,
        e.payment_id,
        e.company_code,
        e.insured_group.value,
        e.schedule_id,
        e.paid_on,
        e.amount,
        e.payment_mode.value,
        e.revision,
        env.time,
    ),
    _snapshot("contribution_payments", ("tenant", "contract_number", "payment_id"), tuple(c for c, _ in _PAYMENT), "r"),
)

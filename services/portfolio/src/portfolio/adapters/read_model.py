"""How the legacy system's events change the read model: one SQL statement per event type.

Each statement gives the same state whatever the order of arrival: snapshots only replace an
older revision, portfolio assignments and withdrawals are kept each with its date (the portfolio
on a day is computed from them), and a membership's affiliation and termination fill separate
columns of one row, each only from a newer revision. Every row keeps when the legacy system last
changed it (the event's time). So they are `Projection`s, which the consumer may
apply a batch at a time; `service_layer/handlers.py` maps each event type to its projection.
"""

from __future__ import annotations

import json

from extranet_contracts import Envelope
from extranet_contracts.legacy import (
    MemberAffiliated,
)
from extranet_plumbing.consumer import Projection

broker_registered = Projection(
    """INSERT INTO brokers AS b (tenant, broker_code, name, orias_number, contact_last_name, contact_first_name,
                                 email, phone, address, revision, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)
       ON CONFLICT (tenant, broker_code) DO UPDATE SET
         name = EXCLUDED.name, orias_number = EXCLUDED.orias_number, contact_last_name = EXCLUDED.contact_last_name,
         contact_first_name = EXCLUDED.contact_first_name, email = EXCLUDED.email, phone = EXCLUDED.phone,
         address = EXCLUDED.address, revision = EXCLUDED.revision, changed_at = EXCLUDED.changed_at
       WHERE b.revision < EXCLUDED.revision""",
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
)

_MOVEMENT = """INSERT INTO broker_company_movements (tenant, broker_code, company_code, on_date, kind, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"""

company_assigned = Projection(_MOVEMENT, lambda env, e: (env.tenant, e.broker_code, e.company_code, e.assigned_on, "assigned", env.time))

company_withdrawn = Projection(_MOVEMENT, lambda env, e: (env.tenant, e.broker_code, e.company_code, e.withdrawn_on, "withdrawn", env.time))

company_registered = Projection(
    """INSERT INTO companies AS c (tenant, company_code, legal_name, siret, siren, address, membership_date, active,
                                   contacts, revision, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9::jsonb, $10, $11)
       ON CONFLICT (tenant, company_code) DO UPDATE SET
         legal_name = EXCLUDED.legal_name, siret = EXCLUDED.siret, siren = EXCLUDED.siren, address = EXCLUDED.address,
         membership_date = EXCLUDED.membership_date, active = EXCLUDED.active, contacts = EXCLUDED.contacts,
         revision = EXCLUDED.revision, changed_at = EXCLUDED.changed_at
       WHERE c.revision < EXCLUDED.revision""",
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
)

contract_signed = Projection(
    """INSERT INTO contracts AS c (tenant, contract_number, company_code, product, category, effective_date,
                                   insured_groups, revision, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (tenant, contract_number) DO UPDATE SET
         company_code = EXCLUDED.company_code, product = EXCLUDED.product, category = EXCLUDED.category,
         effective_date = EXCLUDED.effective_date, insured_groups = EXCLUDED.insured_groups, revision = EXCLUDED.revision,
         changed_at = EXCLUDED.changed_at
       WHERE c.revision < EXCLUDED.revision""",
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
    ),
)

guarantee_attached = Projection(
    """INSERT INTO guarantees AS g (tenant, contract_number, guarantee_code, name, start_date, end_date, revision, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant, contract_number, guarantee_code) DO UPDATE SET
         name = EXCLUDED.name, start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date, revision = EXCLUDED.revision,
         changed_at = EXCLUDED.changed_at
       WHERE g.revision < EXCLUDED.revision""",
    lambda env, e: (env.tenant, e.contract_number, e.guarantee_code, e.name, e.start_date, e.end_date, e.revision, env.time),
)


def _affiliation(env: Envelope, e: MemberAffiliated) -> tuple:
    # Portfolio keeps who is covered, not their NIR: brokers never see it.
    dependants = [
        {
            "role": d.role.value,
            "civility": d.civility.value,
            "last_name": d.last_name,
            "first_name": d.first_name,
            "birth_date": d.birth_date.isoformat(),
        }
        for d in e.dependants
    ]
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
    )


member_affiliated = Projection(
    """INSERT INTO memberships (tenant, membership_id, member_number, contract_number, company_code, insured_group,
                                civility, last_name, first_name, dependants, beneficiaries, start_date,
                                affiliation_recorded_on, affiliation_revision, affiliation_changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15)
       ON CONFLICT (tenant, membership_id) DO UPDATE SET
         member_number = EXCLUDED.member_number, contract_number = EXCLUDED.contract_number,
         company_code = EXCLUDED.company_code, insured_group = EXCLUDED.insured_group, civility = EXCLUDED.civility,
         last_name = EXCLUDED.last_name, first_name = EXCLUDED.first_name, dependants = EXCLUDED.dependants,
         beneficiaries = EXCLUDED.beneficiaries, start_date = EXCLUDED.start_date,
         affiliation_recorded_on = EXCLUDED.affiliation_recorded_on, affiliation_revision = EXCLUDED.affiliation_revision,
         affiliation_changed_at = EXCLUDED.affiliation_changed_at
       WHERE memberships.affiliation_revision IS NULL OR memberships.affiliation_revision < EXCLUDED.affiliation_revision""",
    _affiliation,
)

member_radiated = Projection(
    """INSERT INTO memberships (tenant, membership_id, member_number, contract_number, company_code, end_date,
                                exit_reason, exit_recorded_on, exit_revision, exit_changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (tenant, membership_id) DO UPDATE SET
         end_date = EXCLUDED.end_date, exit_reason = EXCLUDED.exit_reason, exit_recorded_on = EXCLUDED.exit_recorded_on,
         exit_revision = EXCLUDED.exit_revision, exit_changed_at = EXCLUDED.exit_changed_at
       WHERE memberships.exit_revision IS NULL OR memberships.exit_revision < EXCLUDED.exit_revision""",
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
)

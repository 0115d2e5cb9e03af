"""How the legacy system's events change the read model: one SQL statement per event type.

Each statement gives the same state whatever the order of arrival: snapshots only replace an
older revision, portfolio assignments keep the latest dates, and a membership's affiliation and
termination fill separate columns of one row. So they are `Projection`s, which the consumer may
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
                                 email, phone, address, revision)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
       ON CONFLICT (tenant, broker_code) DO UPDATE SET
         name = EXCLUDED.name, orias_number = EXCLUDED.orias_number, contact_last_name = EXCLUDED.contact_last_name,
         contact_first_name = EXCLUDED.contact_first_name, email = EXCLUDED.email, phone = EXCLUDED.phone,
         address = EXCLUDED.address, revision = EXCLUDED.revision
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
    ),
)

company_assigned = Projection(
    """INSERT INTO broker_companies AS bc (tenant, broker_code, company_code, assigned_on) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant, broker_code, company_code) DO UPDATE
         SET assigned_on = GREATEST(bc.assigned_on, EXCLUDED.assigned_on)""",
    lambda env, e: (env.tenant, e.broker_code, e.company_code, e.assigned_on),
)

company_withdrawn = Projection(
    """INSERT INTO broker_companies AS bc (tenant, broker_code, company_code, withdrawn_on) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant, broker_code, company_code) DO UPDATE
         SET withdrawn_on = GREATEST(bc.withdrawn_on, EXCLUDED.withdrawn_on)""",
    lambda env, e: (env.tenant, e.broker_code, e.company_code, e.withdrawn_on),
)

company_registered = Projection(
    """INSERT INTO companies AS c (tenant, company_code, legal_name, siret, siren, address, membership_date, active,
                                   contacts, revision)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9::jsonb, $10)
       ON CONFLICT (tenant, company_code) DO UPDATE SET
         legal_name = EXCLUDED.legal_name, siret = EXCLUDED.siret, siren = EXCLUDED.siren, address = EXCLUDED.address,
         membership_date = EXCLUDED.membership_date, active = EXCLUDED.active, contacts = EXCLUDED.contacts,
         revision = EXCLUDED.revision
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
    ),
)

contract_signed = Projection(
    """INSERT INTO contracts AS c (tenant, contract_number, company_code, product, category, effective_date,
                                   insured_groups, revision)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant, contract_number) DO UPDATE SET
         company_code = EXCLUDED.company_code, product = EXCLUDED.product, category = EXCLUDED.category,
         effective_date = EXCLUDED.effective_date, insured_groups = EXCLUDED.insured_groups, revision = EXCLUDED.revision
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
    ),
)

guarantee_attached = Projection(
    """INSERT INTO guarantees AS g (tenant, contract_number, guarantee_code, name, start_date, end_date, revision)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant, contract_number, guarantee_code) DO UPDATE SET
         name = EXCLUDED.name, start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date, revision = EXCLUDED.revision
       WHERE g.revision < EXCLUDED.revision""",
    lambda env, e: (env.tenant, e.contract_number, e.guarantee_code, e.name, e.start_date, e.end_date, e.revision),
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
    )


member_affiliated = Projection(
    """INSERT INTO memberships (tenant, membership_id, member_number, contract_number, company_code, insured_group,
                                civility, last_name, first_name, dependants, beneficiaries, start_date,
                                affiliation_recorded_on)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13)
       ON CONFLICT (tenant, membership_id) DO UPDATE SET
         member_number = EXCLUDED.member_number, contract_number = EXCLUDED.contract_number,
         company_code = EXCLUDED.company_code, insured_group = EXCLUDED.insured_group, civility = EXCLUDED.civility,
         last_name = EXCLUDED.last_name, first_name = EXCLUDED.first_name, dependants = EXCLUDED.dependants,
         beneficiaries = EXCLUDED.beneficiaries, start_date = EXCLUDED.start_date,
         affiliation_recorded_on = EXCLUDED.affiliation_recorded_on""",
    _affiliation,
)

member_radiated = Projection(
    """INSERT INTO memberships (tenant, membership_id, member_number, contract_number, company_code, end_date,
                                exit_reason, exit_recorded_on)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant, membership_id) DO UPDATE SET
         end_date = EXCLUDED.end_date, exit_reason = EXCLUDED.exit_reason, exit_recorded_on = EXCLUDED.exit_recorded_on""",
    lambda env, e: (
        env.tenant,
        e.membership_id,
        e.member_number,
        e.contract_number,
        e.company_code,
        e.effective_date,
        e.reason,
        e.recorded_on,
    ),
)

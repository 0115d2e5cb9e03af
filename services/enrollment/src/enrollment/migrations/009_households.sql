-- The households' files (from legacy.households) that the member's requests are checked against (issue 11): the
-- member's contract (individual or collective, the guarantees held, the contribution block) and the household's
-- beneficiaries by their identifier (role, names, birth date: no NIR, no IBAN, no contact detail kept here).
-- Snapshots: the newest revision wins whatever the order.

CREATE TABLE household_contracts (
    tenant          text NOT NULL,
    member_number   text NOT NULL,
    contract_number text NOT NULL,
    kind            text NOT NULL,
    guarantees      jsonb NOT NULL,   -- [{code, name, start_date, end_date}]
    contribution    jsonb NOT NULL,   -- {payment_mode, frequency, amount_due, due_date}
    revision        integer NOT NULL,
    PRIMARY KEY (tenant, member_number)
);

CREATE TABLE household_beneficiaries (
    tenant          text NOT NULL,
    member_number   text NOT NULL,
    beneficiaries   jsonb NOT NULL,   -- [{beneficiary_id, role, last_name, first_name, birth_date}]
    revision        integer NOT NULL,
    PRIMARY KEY (tenant, member_number)
);

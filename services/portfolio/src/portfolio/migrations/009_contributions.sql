-- Contributions of the collective contracts (issue 12, « Cotisations »): the payers of each contract
-- and insured group, the schedules (échéances) and the payments (règlements), as the legacy system
-- publishes them on legacy.contracts. Snapshot rows: the newest revision of each id wins.
CREATE TABLE contribution_payers (
    tenant              text NOT NULL,
    contract_number     text NOT NULL,
    payer_id            text NOT NULL,
    company_code        text NOT NULL,
    insured_group       text NOT NULL,
    share               text NOT NULL,
    frequency           text NOT NULL,
    payment_mode        text NOT NULL,
    pre_litigation      text NOT NULL,
    pre_litigation_date date,
    revision            integer NOT NULL,
    changed_at          timestamptz NOT NULL,
    PRIMARY KEY (tenant, contract_number, payer_id)
);

CREATE TABLE contribution_schedules (
    tenant          text NOT NULL,
    contract_number text NOT NULL,
    schedule_id     text NOT NULL,
    company_code    text NOT NULL,
    insured_group   text NOT NULL,
    payer_id        text NOT NULL,
    period_start    date NOT NULL,
    period_end      date NOT NULL,
    due_date        date NOT NULL,
    amount_due      numeric(13, 2) NOT NULL,
    amount_paid     numeric(13, 2) NOT NULL,
    revision        integer NOT NULL,
    changed_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, contract_number, schedule_id)
);

CREATE TABLE contribution_payments (
    tenant          text NOT NULL,
    contract_number text NOT NULL,
    payment_id      text NOT NULL,
    company_code    text NOT NULL,
    insured_group   text NOT NULL,
    schedule_id     text NOT NULL,
    paid_on         date NOT NULL,
    amount          numeric(13, 2) NOT NULL,
    payment_mode    text NOT NULL,
    revision        integer NOT NULL,
    changed_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, contract_number, payment_id)
);

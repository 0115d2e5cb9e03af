-- Read model of the reimbursements (décomptes) the legacy system paid: one row per payment, scoped by tenant
-- and household. A payment is a snapshot: a correction (higher revision) replaces the row, an older or
-- equal one changes nothing. Its acts are kept as JSON with exact amounts (strings), read with the payment;
-- beneficiary_ids lists who received the care, for the search by beneficiary.
CREATE TABLE payments (
    tenant            text NOT NULL,
    reference         text NOT NULL,
    member_number     text NOT NULL,
    received_on       date NOT NULL,
    paid_on           date NOT NULL,
    amount            numeric(11, 2) NOT NULL,
    payee             text NOT NULL,        -- ASSURE (the member) or TIERS (a health professional: tiers payant)
    professional_name text,
    masked_iban       text,                 -- never the full IBAN: the legacy system sends it masked
    acts              jsonb NOT NULL,
    beneficiary_ids   text[] NOT NULL,
    act_count         integer NOT NULL,
    revision          integer NOT NULL,
    changed_at        timestamptz NOT NULL, -- when the legacy system last changed the payment
    PRIMARY KEY (tenant, reference)
);
-- A household's payments, newest first: the home page, the list and its search, the tiers-payant tab.
CREATE INDEX payments_household ON payments (tenant, member_number, paid_on DESC, reference DESC);

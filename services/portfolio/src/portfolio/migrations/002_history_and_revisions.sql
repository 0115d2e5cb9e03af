-- The portfolio on any date, the newest membership facts, and when the legacy system last changed
-- each record.
--
-- A broker's portfolio keeps every assignment and withdrawal with its date: a company is in the
-- portfolio on a day when the last of them dated on or before that day is an assignment (a
-- withdrawal and an assignment on the same day: the withdrawal). A movement dated in the future
-- counts from its date only.
CREATE TABLE broker_company_movements (
    tenant        text NOT NULL,
    broker_code   text NOT NULL,
    company_code  text NOT NULL,
    on_date       date NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('assigned', 'withdrawn')),
    changed_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant, broker_code, company_code, on_date, kind)
);
CREATE INDEX broker_company_movements_company ON broker_company_movements (tenant, company_code);

INSERT INTO broker_company_movements (tenant, broker_code, company_code, on_date, kind, changed_at)
    SELECT tenant, broker_code, company_code, assigned_on, 'assigned', now() FROM broker_companies WHERE assigned_on IS NOT NULL
    UNION ALL
    SELECT tenant, broker_code, company_code, withdrawn_on, 'withdrawn', now() FROM broker_companies WHERE withdrawn_on IS NOT NULL;
DROP TABLE broker_companies;

-- Membership facts carry the legacy revision: an older affiliation or radiation changes nothing.
ALTER TABLE memberships
    ADD COLUMN affiliation_revision integer,
    ADD COLUMN exit_revision integer,
    ADD COLUMN affiliation_changed_at timestamptz,
    ADD COLUMN exit_changed_at timestamptz;
UPDATE memberships SET affiliation_revision = 1 WHERE start_date IS NOT NULL;
UPDATE memberships SET exit_revision = 1 WHERE end_date IS NOT NULL;

-- When the legacy system last changed the record (the event's time).
ALTER TABLE brokers ADD COLUMN changed_at timestamptz;
ALTER TABLE companies ADD COLUMN changed_at timestamptz;
ALTER TABLE contracts ADD COLUMN changed_at timestamptz;
ALTER TABLE guarantees ADD COLUMN changed_at timestamptz;

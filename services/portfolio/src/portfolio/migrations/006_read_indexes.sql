-- Indexes of the broker portal's read queries (dashboard, Effectifs), measured on the bench data set
-- (10,000 companies, 1,000,000 insured; bench/broker_routes.py writes the plans).
--
-- The dashboard reads every membership of a portfolio once, from this index alone (index-only scan):
-- who is covered on the day (start, end, beneficiaries), the entries and exits of two months, and the
-- exits by reason (a range on end_date per company).
CREATE INDEX memberships_company_dates ON memberships (tenant, company_code, end_date)
    INCLUDE (start_date, beneficiaries, exit_reason);

-- The latest affiliations and radiations: the newest few of each company of the portfolio, in the
-- dashboard's order, without reading the rest.
CREATE INDEX memberships_company_affiliated ON memberships (tenant, company_code, affiliation_recorded_on DESC, start_date DESC, membership_id)
    WHERE start_date IS NOT NULL;
CREATE INDEX memberships_company_radiated ON memberships (tenant, company_code, exit_recorded_on DESC, end_date DESC, membership_id)
    WHERE end_date IS NOT NULL;

-- A contract's insured counted and listed (status on the day, company in the portfolio) from the index.
CREATE INDEX memberships_contract_dates ON memberships (tenant, contract_number, search_name, membership_id)
    INCLUDE (company_code, start_date, end_date, beneficiaries);
-- It serves everything memberships_contract (tenant, contract_number) did.
DROP INDEX memberships_contract;

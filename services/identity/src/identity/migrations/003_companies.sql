-- Collective contracts of each company, from the legacy system: what a correspondent may be given.
CREATE TABLE company_contracts (
    tenant          text NOT NULL,
    company_code    text NOT NULL,
    contract_number text NOT NULL,
    product         text NOT NULL,
    category        text NOT NULL,
    PRIMARY KEY (tenant, contract_number)
);
CREATE INDEX company_contracts_company ON company_contracts (tenant, company_code);

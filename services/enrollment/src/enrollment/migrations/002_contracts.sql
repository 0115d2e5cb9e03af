-- The collective contracts of each company and their guarantees (from legacy.contracts): what a correspondent
-- may affiliate an employee to, and the products offered.

CREATE TABLE contracts (
    tenant          text NOT NULL,
    contract_number text NOT NULL,
    company_code    text NOT NULL,
    product         text NOT NULL,
    effective_date  date NOT NULL,
    revision        integer NOT NULL,
    PRIMARY KEY (tenant, contract_number)
);

CREATE TABLE guarantees (
    tenant          text NOT NULL,
    contract_number text NOT NULL,
    guarantee_code  text NOT NULL,
    name            text NOT NULL,
    start_date      date NOT NULL,
    end_date        date,
    revision        integer NOT NULL,
    PRIMARY KEY (tenant, contract_number, guarantee_code)
);

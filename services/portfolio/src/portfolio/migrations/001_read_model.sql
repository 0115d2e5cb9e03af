-- Read model of the legacy system's portfolio data. Every row is scoped by tenant. Snapshot rows
-- keep the legacy revision (newest wins); membership rows merge affiliation and termination facts
-- that may arrive in any order.
CREATE TABLE brokers (
    tenant             text NOT NULL,
    broker_code        text NOT NULL,
    name               text NOT NULL,
    orias_number       text NOT NULL,
    contact_last_name  text NOT NULL,
    contact_first_name text NOT NULL,
    email              text NOT NULL,
    phone              text,
    address            jsonb NOT NULL,
    revision           integer NOT NULL,
    PRIMARY KEY (tenant, broker_code)
);

-- A company is in a broker's portfolio when assigned and not withdrawn since.
CREATE TABLE broker_companies (
    tenant        text NOT NULL,
    broker_code   text NOT NULL,
    company_code  text NOT NULL,
    assigned_on   date,
    withdrawn_on  date,
    PRIMARY KEY (tenant, broker_code, company_code)
);
CREATE INDEX broker_companies_company ON broker_companies (tenant, company_code);

CREATE TABLE companies (
    tenant          text NOT NULL,
    company_code    text NOT NULL,
    legal_name      text NOT NULL,
    siret           text NOT NULL,
    siren           text NOT NULL,
    address         jsonb NOT NULL,
    membership_date date NOT NULL,
    active          boolean NOT NULL,
    contacts        jsonb NOT NULL,
    revision        integer NOT NULL,
    PRIMARY KEY (tenant, company_code)
);

CREATE TABLE contracts (
    tenant          text NOT NULL,
    contract_number text NOT NULL,
    company_code    text NOT NULL,
    product         text NOT NULL,
    category        text NOT NULL,
    effective_date  date NOT NULL,
    insured_groups  text[] NOT NULL,
    revision        integer NOT NULL,
    PRIMARY KEY (tenant, contract_number)
);
CREATE INDEX contracts_company ON contracts (tenant, company_code);

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

-- One row per membership (adhésion). Affiliation columns are null until MemberAffiliated
-- arrives; termination columns until MemberRadiated does.
CREATE TABLE memberships (
    tenant            text NOT NULL,
    membership_id     text NOT NULL,
    member_number     text NOT NULL,
    contract_number   text NOT NULL,
    company_code      text NOT NULL,
    insured_group     text,
    civility          text,
    last_name         text,
    first_name        text,
    dependants        jsonb,
    beneficiaries     integer,
    start_date        date,
    affiliation_recorded_on date,
    end_date          date,
    exit_reason       text,
    exit_recorded_on  date,
    PRIMARY KEY (tenant, membership_id)
);
CREATE INDEX memberships_company ON memberships (tenant, company_code);
CREATE INDEX memberships_member ON memberships (tenant, member_number);

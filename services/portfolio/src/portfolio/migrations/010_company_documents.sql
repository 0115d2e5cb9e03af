-- The employer portal's documents (« Mes documents », guide 003): what the legacy system made available to a
-- company's correspondents (CompanyDocumentIssued on legacy.companies), one row per document, the newest revision
-- kept. The file itself is in the document store under storage_key; a document without a contract is the company's.
CREATE TABLE company_documents (
    tenant          text NOT NULL,
    document_id     uuid NOT NULL,
    company_code    text NOT NULL,
    contract_number text,
    kind            text NOT NULL,
    name            text NOT NULL,
    media_type      text NOT NULL,
    size            bigint NOT NULL,
    sha256          text NOT NULL,
    storage_key     uuid NOT NULL,
    issued_on       date NOT NULL,
    revision        integer NOT NULL,
    changed_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, document_id)
);
CREATE INDEX company_documents_company ON company_documents (tenant, company_code, kind, issued_on DESC);

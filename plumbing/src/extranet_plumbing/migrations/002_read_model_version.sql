-- How many times the service's read model has changed: a consumer whose subscription counts its
-- changes (`Subscription(counts_changes=True)`) adds one in each transaction that applies events, as
-- its last statement, so that the count is visible exactly when the rows are. Read answers kept by
-- `extranet_plumbing.read_cache.ReadModelCache` are served only while it has not moved.
CREATE TABLE read_model_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL
);
INSERT INTO read_model_version (version) VALUES (0);

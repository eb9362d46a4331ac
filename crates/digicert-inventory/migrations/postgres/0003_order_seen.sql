-- Version 3, as SQLite's: when each order was last seen moves out of its row into a narrow
-- table of its own, with the fingerprint of the JSON last stored, so that a full sync that
-- sees every order again neither sends every order's JSON to be compared nor writes a new
-- version of every order's whole row. Its pages are kept half empty, so that each new
-- version of a row fits beside the old one (a heap-only update, no new index entry).
-- The orders' JSON is compressed with lz4 where the server has it (PostgreSQL 14 and
-- later, built with lz4; else left as it was): a first sync is faster than with the default
-- pglz (BENCHMARKS.md).
CREATE TABLE order_seen (
    account   TEXT NOT NULL,
    order_id  BIGINT NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    digest    BYTEA,
    PRIMARY KEY (account, order_id)
) WITH (fillfactor = 50);
INSERT INTO order_seen (account, order_id, last_seen)
SELECT account, order_id, last_seen FROM orders;
ALTER TABLE orders DROP COLUMN last_seen;
DO $$
BEGIN
    EXECUTE 'ALTER TABLE orders ALTER COLUMN report_json SET COMPRESSION lz4, '
        'ALTER COLUMN info_json SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END $$;

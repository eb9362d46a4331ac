-- Version 2, as SQLite's: accounts. Every order, name, history entry and sync state
-- belongs to an account (a config profile); order ids are unique per account. What version 1
-- held becomes the `default` account's.
ALTER TABLE orders ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE orders ALTER COLUMN account DROP DEFAULT;
ALTER TABLE orders DROP CONSTRAINT orders_pkey;
ALTER TABLE orders ADD PRIMARY KEY (account, order_id);
CREATE INDEX orders_order_id ON orders (order_id);

ALTER TABLE order_names ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE order_names ALTER COLUMN account DROP DEFAULT;
ALTER TABLE order_names DROP CONSTRAINT order_names_pkey;
ALTER TABLE order_names ADD PRIMARY KEY (name_key, account, order_id);
DROP INDEX order_names_order;
CREATE INDEX order_names_order ON order_names (account, order_id);

ALTER TABLE status_history ADD COLUMN account TEXT NOT NULL DEFAULT 'default';

CREATE TABLE sync_state_v2 (
    account               TEXT PRIMARY KEY,
    watermark             TIMESTAMPTZ,
    last_success          TIMESTAMPTZ,
    last_duration_seconds DOUBLE PRECISION,
    last_full             TIMESTAMPTZ
);
INSERT INTO sync_state_v2 (account, watermark, last_success, last_duration_seconds, last_full)
SELECT 'default', watermark, last_success, last_duration_seconds, last_full
FROM sync_state WHERE last_success IS NOT NULL;
DROP TABLE sync_state;
ALTER TABLE sync_state_v2 RENAME TO sync_state;

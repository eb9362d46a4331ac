-- Version 3: when each order was last seen moves out of its row into a narrow table of its
-- own, with the fingerprint of the JSON last stored (`OrderJson::fingerprint`; none for
-- orders stored before, which the next sync writes again). A full sync sees every order
-- again: moving that instant inside the row rewrote every order's whole row (its JSON:
-- about 2 KiB), and finding that the order had not changed read it back.
CREATE TABLE order_seen (
    account   TEXT NOT NULL,
    order_id  INTEGER NOT NULL,
    last_seen TEXT NOT NULL,
    digest    BLOB,
    PRIMARY KEY (account, order_id)
) WITHOUT ROWID;
INSERT INTO order_seen (account, order_id, last_seen)
SELECT account, order_id, last_seen FROM orders;
ALTER TABLE orders DROP COLUMN last_seen;

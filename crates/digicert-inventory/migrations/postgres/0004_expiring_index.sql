-- Version 4, as SQLite's: the index `inventory expiring` reads holds every column it shows
-- (those it does not sort by as included columns), in the order it lists them, so that the
-- query can be an index-only scan (once vacuum has marked the table's pages all-visible)
-- and needs no sort.
DROP INDEX orders_expiring;
CREATE INDEX orders_expiring ON orders (status, valid_till, order_id, account)
    INCLUDE (common_name, dns_names, valid_from, product_name_id, thumbprint, serial_number,
    organization, certificate_id);

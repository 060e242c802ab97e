-- Serialises the checkouts of one customer (brand and email, or brand and phone) until the
-- first commits, so the open-order count and the new order cannot race.
select pg_advisory_xact_lock(hashtextextended($1, 7244))

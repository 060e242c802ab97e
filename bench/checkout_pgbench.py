#!/usr/bin/env python3
"""Writes two pgbench scripts of one-unit checkouts of a random SKU (bench/reservations.sh):

- checkout-before.pgbench: the statements checkout sent before it was pipelined, one round trip
  each (as the previous release's SQL files had them);
- checkout-after.pgbench: the statements it sends now, in the same round trips: the locks and
  reads in one pipeline, the order, its event and the COMMIT in another (then the empty
  read-only transaction db::Tx::query_and_commit leaves, ended). The SQL is read from the files
  checkout uses (src/**/sql), parameters replaced by the values a checkout would bind.

Usage: checkout_pgbench.py TENANT_ID ZONE_ID NSKUS OUT_DIR
pgbench -M prepared turns any ":name" into a variable, quotes or not: comments are dropped and
no literal here holds a colon.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
tid, zone, nskus, out = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])

K = "cast(:k as text)"
KEY = f"'pg-' || {K}"
EMAIL = f"'pg' || {K} || '@bench.test'"
SKU = "(select sku from public.bench_skus where i = :v)"
VARIANT = "(select variant_id from public.bench_skus where i = :v)"
SKUS = f"array[{SKU}]"
# $1 of every statement on a tenant table: the brand.
TID = f"cast('{tid}' as uuid)"


def uid(tag):
    # A uuid per checkout and tag, from the random key (md5 is 32 hex digits).
    return f"cast(md5('{tag}' || {K}) as uuid)"


def sql(path, params=()):
    """The statement in `path`, comments dropped, $n replaced by params[n-1]."""
    text = (ROOT / path).read_text()
    text = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("--"))
    text = re.sub(r"\$(\d+)", lambda m: f"({params[int(m.group(1)) - 1]})", text)
    text = text.replace("':'", "chr(58)")
    return " ".join(text.split()) + ";"


HEAD = f"""\\set v random(2, {nskus})
\\set k random(1, 2000000000)
begin;
select set_config('app.tenant_id', '{tid}', true), set_config('app.user_id', '', true), set_config('app.role', 'storefront', true);
"""
SHARED_READS = [
    sql("src/orders/sql/idempotency_lock.sql", [f"'{tid}' || chr(58) || {KEY}"]),
    sql("src/orders/sql/order_by_idempotency_key.sql", [TID, KEY]),
    sql("src/orders/sql/brand_settings.sql", [TID]),
    sql("src/orders/sql/customer_lock.sql", [f"'{tid}' || chr(58) || 'email' || chr(58) || {EMAIL}"]),
]
PAYLOAD = (f"jsonb_build_object('order_id', {uid('o')}, 'status', 'pending_payment', "
           f"'total_minor', 1785, 'discount_minor', 0, 'currency', 'EUR', "
           f"'holds_expire_at', now() + interval '15 minutes')")
PII = f"jsonb_build_object('name', 'Bench', 'email', {EMAIL}, 'phone', null)"
METHODS = f"select id, code, name, countries, rate_basis, bands, free_over_minor, active, created_at, updated_at from app.shipping_methods where tenant_id = '{tid}' and active order by code;"
PROMOS = sql("src/promotions/sql/basket_promotions.sql", [f"'{tid}'", "array[]::text[]"])

before = HEAD + "\n".join(SHARED_READS + [
    sql("src/orders/sql/open_orders.sql", [TID, EMAIL, "null::text"]),
    sql("src/orders/sql/variants_for_checkout.sql", [TID, SKUS]),
    METHODS,
    f"select tax_class, rate_bp from app.tax_rates where tenant_id = '{tid}' and country = 'DE';",
    PROMOS,
    sql("src/inventory/sql/lock_rows.sql", [TID, f"array[{VARIANT}]"]),
    sql("src/inventory/sql/release_expired.sql", [TID, f"array[{VARIANT}]"]),
    "insert into app.customers (name, email) values ('Bench', " + EMAIL + ") on conflict (tenant_id, email) where email is not null do update set name = case when app.customers.name = '' then excluded.name else app.customers.name end, updated_at = now() returning id \\gset c_",
    "insert into app.order_counters as c (last_number) values (1) on conflict (tenant_id) do update set last_number = c.last_number + 1 returning last_number \\gset n_",
    "select coalesce((select hold_minutes from app.brand_settings), 15);",
    f"insert into app.orders (number, customer_id, currency, total_minor, idempotency_key, request_hash, holds_expire_at, customer_name) values (:n_last_number, cast(:c_id as uuid), 'EUR', 1785, {KEY}, '\\x00', now() + interval '15 minutes', 'Bench') returning id \\gset o_",
    "insert into app.order_lines (order_id, position, variant_id, sku, quantity, unit_price_minor) select cast(:o_id as uuid), 0, variant_id, sku, 1, 1500 from public.bench_skus where i = :v returning id \\gset l_",
    f"insert into app.holds (order_id, order_line_id, variant_id, zone_id, quantity, status, expires_at) select cast(:o_id as uuid), cast(:l_id as uuid), variant_id, '{zone}', 1, 'active', now() + interval '15 minutes' from public.bench_skus where i = :v returning id \\gset h_",
    sql("src/inventory/sql/threshold_levels.sql", [TID, f"array[{VARIANT}]"]),
    f"update app.stock s set reserved = s.reserved + 1, updated_at = now() where s.variant_id = {VARIANT} and s.zone_id = '{zone}';",
    f"insert into app.stock_movements (variant_id, zone_id, kind, reserved_delta, order_id, hold_id) values ({VARIANT}, '{zone}', 'reserve', 1, cast(:o_id as uuid), cast(:h_id as uuid));",
    f"insert into app.jobs (tenant_id, kind, ref, run_at) values ('{tid}', 'expire_order', :o_id, now() + interval '15 minutes');",
    sql("src/events/sql/record.sql", [TID, "'order.created'", "cast(:n_last_number as text)", PAYLOAD, PII]),
    sql("src/orders/sql/order_view.sql", [TID, "cast(:o_id as uuid)", "null::int"]),
    sql("src/orders/sql/order_lines_view.sql", [TID, "cast(:o_id as uuid)"]),
    sql("src/orders/sql/order_holds.sql", [TID, "cast(:o_id as uuid)"]),
    sql("src/orders/sql/order_shipments.sql", [f"'{tid}'", "cast(:o_id as uuid)"]),
    sql("src/promotions/sql/order_discounts.sql", [f"'{tid}'", "cast(:o_id as uuid)"]),
    "commit;",
]) + "\n"

PLACE = [
    TID, "'Bench'", EMAIL, "null::text", "null::text", uid("o"), "'EUR'", "1785", "1", "null::uuid", KEY,
    "'\\x00'::bytea", "now() + interval '15 minutes'", "1500", "0", "285", "false",
    "null::jsonb", "null::jsonb", "'standard'", "'Standard'",
    f"array[{uid('l')}]", "array[0]", f"array[{VARIANT}]", SKUS, "array[1]", "array[1500]",
    "array['standard']", "array[1900]", "array[285]", "array[1785]",
    f"array[{uid('h')}]", f"array[{uid('l')}]", f"array[{VARIANT}]", f"array['{zone}'::uuid]", "array[1]",
    f"array[{VARIANT}]", f"array['{zone}'::uuid]", "array['reserve']", "array[1]", "array[null::text]",
    f"array[{uid('o')}]", f"array[{uid('h')}]", "array[0]", "'expire_order'",
]
after = HEAD + "\n".join(["\\startpipeline"] + SHARED_READS + [
    sql("src/orders/sql/open_orders.sql", [TID, EMAIL, "null::text"]),
    sql("src/orders/sql/variants_for_checkout.sql", [TID, SKUS]),
    METHODS,
    sql("src/delivery/sql/checkout_rates.sql", [f"'{tid}'", "'DE'"]),
    PROMOS,
    sql("src/inventory/sql/lock_rows_by_sku.sql", [TID, SKUS]),
    sql("src/inventory/sql/release_expired_by_sku.sql", [TID, SKUS]),
    sql("src/inventory/sql/threshold_levels_by_sku.sql", [TID, SKUS]),
    "\\endpipeline",
    "\\startpipeline",
    sql("src/orders/sql/place_order.sql", PLACE),
    sql("src/events/sql/record_order_numbered.sql", [TID, "'order.created'", PAYLOAD, PII]),
    "commit;",
    "begin read only;",
    "\\endpipeline",
    "commit;",
]) + "\n"

(out / "checkout-before.pgbench").write_text(before)
(out / "checkout-after.pgbench").write_text(after)

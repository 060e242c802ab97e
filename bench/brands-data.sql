-- Generates :n brands for bench/brands.sh (issue 18, point 10), as the superuser: each with
-- 100 active products x 10 variants (1,000 SKUs), 1,000,000 units of every SKU in zone BENCH,
-- and Fiber X's delivery and tax settings and locales (so the storefront checkout body of
-- bench/checkout.lua works). Slugs `scale-0001`.., SKU prefixes from QAA on. The same script
-- with :n = 3 and :n = 1000 gives two databases whose brands have the same shape.
\set ON_ERROR_STOP on
set client_min_messages = warning;
set synchronous_commit = off;

insert into app.tenants (slug, name, sku_prefix, currency)
select format('scale-%s', lpad(i::text, 4, '0')), format('Scale brand %s', i),
       chr(81 + (i - 1) / 676) || chr(65 + ((i - 1) / 26) % 26) || chr(65 + (i - 1) % 26), 'EUR'
from generate_series(1, :n) i
on conflict (slug) do nothing;

create temp table bt as
select id as tenant_id, sku_prefix from app.tenants where slug like 'scale-%';

-- Fiber X's brand-level settings, copied to every generated brand column by column (every
-- column but the key and the brand; generated columns excluded).
do $$
declare
  src uuid := (select id from app.tenants where slug = 'fiber-x');
  t text;
  cols text;
begin
  foreach t in array array['brand_settings', 'brand_locales', 'shipping_methods', 'tax_rates'] loop
    select string_agg(quote_ident(column_name), ', ' order by ordinal_position) into cols
    from information_schema.columns
    where table_schema = 'app' and table_name = t and column_name not in ('tenant_id', 'id')
      and is_generated = 'NEVER';
    execute format('insert into app.%I (tenant_id, %s) select bt.tenant_id, %s from app.%I s, bt where s.tenant_id = %L',
                   t, cols, cols, t, src);
  end loop;
end $$;

insert into app.categories (tenant_id, code, name) select tenant_id, 'GEN', 'General' from bt;

insert into app.products (tenant_id, number, handle, category_id, sku_stem, name, description, status, base_price_minor)
select bt.tenant_id, n, 'p' || n, c.id, bt.sku_prefix || '-GEN-' || lpad(n::text, 4, '0'),
       format('Product %s', n), 'A generated product for the scale benchmark.', 'active', 500 + (n * 37) % 9500
from bt join app.categories c on c.tenant_id = bt.tenant_id and c.code = 'GEN'
cross join generate_series(1, 100) n;

insert into app.product_counters (tenant_id, last_number) select tenant_id, 100 from bt;

insert into app.variants (tenant_id, product_id, sku, option_key, options, position, reorder_threshold)
select p.tenant_id, p.id, p.sku_stem || '-V' || lpad(k::text, 2, '0'), 'size=' || k,
       jsonb_build_array(jsonb_build_object('axis', 'Size', 'value', k::text)), k, 5
from app.products p join bt on bt.tenant_id = p.tenant_id
cross join generate_series(1, 10) k;

insert into app.zones (code, name, priority) values ('BENCH', 'Bench zone', 1)
on conflict (code) do nothing;
insert into app.stock (tenant_id, variant_id, zone_id, on_hand)
select v.tenant_id, v.id, z.id, 1000000
from app.variants v join bt on bt.tenant_id = v.tenant_id, app.zones z where z.code = 'BENCH';

vacuum analyze;

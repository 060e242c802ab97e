#!/usr/bin/env bash
# CSV import benchmark (issue: imports): 100,000 variant rows (25,000 products x 2 sizes x
# 2 colours, 5 units of opening stock each) imported into an empty brand with the CLI, which
# runs the same service as the API's import job, in one tenant transaction. Then the same file
# again (a no-op: every product compared, nothing written), and the same catalog without the
# stock column into an empty brand. Reports rows/s and the process's peak memory (GNU time's
# maximum resident set size). Writes $RESULTS/imports.md.
source "$(dirname "$0")/lib.sh"
need /usr/bin/time time
db_env

PRODUCTS=${BENCH_IMPORT_PRODUCTS:-25000}
VARIANTS=$((PRODUCTS * 4))
SLUG=bench-imports
DB="$ADMIN/$BENCH_DB"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A fresh brand with two categories and a zone, written as the superuser (setup only).
reset_brand() {
  psql "$DB" -Xq -v ON_ERROR_STOP=1 <<SQL
do \$\$
declare t uuid := (select id from app.tenants where slug = '$SLUG');
begin
  if t is not null then
    delete from app.stock_movements where tenant_id = t;
    delete from app.stock where tenant_id = t;
    delete from app.product_media where tenant_id = t;
    delete from app.variants where tenant_id = t;
    delete from app.products where tenant_id = t;
    delete from app.availability where tenant_id = t;
    delete from app.catalog_counts where tenant_id = t;
    delete from app.product_counters where tenant_id = t;
    delete from app.categories where tenant_id = t;
    delete from app.imports where tenant_id = t;
    delete from app.audit_log where tenant_id = t;
    delete from app.jobs where tenant_id = t;
    delete from app.tenants where id = t;
  end if;
end
\$\$;
insert into app.tenants (slug, name, sku_prefix) values ('$SLUG', 'Bench Imports', 'BIM');
insert into app.categories (tenant_id, code, name)
  select id, c.code, c.name from app.tenants, (values ('HAIR', 'Hair'), ('STYL', 'Styling')) c(code, name)
  where slug = '$SLUG';
insert into app.zones (code, name) values ('BENCH', 'Bench zone') on conflict (code) do nothing;
SQL
}

log "generating $PRODUCTS products / $VARIANTS variant rows"
# generate STOCK: the catalog, with a stock column (5 units of every variant) or without.
generate() {
  python3 - "$PRODUCTS" "$1" <<'PY'
import sys
n, stock = int(sys.argv[1]), sys.argv[2] == "stock"
out = sys.stdout
out.write("handle,category,name,description,price,status,option1_name,option1_values,option2_name,option2_values"
          + (",stock_BENCH" if stock else "") + "\n")
for i in range(1, n + 1):
    cat = "HAIR" if i % 2 else "STYL"
    out.write(f'bench-product-{i},{cat},Bench Product {i},"A product for the import benchmark, number {i}.",{i % 90 + 9}.90,active,'
              f'Size,250 ml=250ML|500 ml=500ML,Colour,Black|Sand' + (",5" if stock else "") + "\n")
PY
}
generate stock >"$tmp/products.csv"
generate none >"$tmp/products-nostock.csv"
size=$(du -h "$tmp/products.csv" | cut -f1)

# run_import NAME FILE: imports the file with GNU time; prints "seconds peak_kib".
run_import() {
  /usr/bin/time -f '%e %M' -o "$tmp/$1.time" "$BIN" import products "$2" --brand "$SLUG" \
    >"$RESULTS/imports-$1.log" 2>"$tmp/$1.err" || { cat "$tmp/$1.err" "$RESULTS/imports-$1.log" >&2; exit 1; }
  cat "$tmp/$1.time"
}

reset_brand
log "import into an empty brand"
read -r first_s first_kib < <(run_import first "$tmp/products.csv")
log "the same file again (no-op)"
read -r again_s again_kib < <(run_import again "$tmp/products.csv")
counts=$(psql "$DB" -XAt -F ' ' -c "select (select count(*) from app.products p join app.tenants t on t.id = p.tenant_id where t.slug = '$SLUG'), (select count(*) from app.variants v join app.tenants t on t.id = v.tenant_id where t.slug = '$SLUG'), (select count(*) from app.stock_movements m join app.tenants t on t.id = m.tenant_id where t.slug = '$SLUG')")
read -r n_products n_variants n_movements <<<"$counts"
[ "$n_variants" -eq "$VARIANTS" ] || { log "expected $VARIANTS variants, found $n_variants"; exit 1; }
reset_brand
log "the catalog without opening stock, into an empty brand"
read -r bare_s bare_kib < <(run_import bare "$tmp/products-nostock.csv")
reset_brand

rate() { python3 -c "print(f'{$1 / $2:,.0f}')"; }
mib() { python3 -c "print(f'{$1 / 1024:.1f}')"; }
cat >"$RESULTS/imports.md" <<MD
### CSV import: $PRODUCTS products, $VARIANTS variant rows ($size), one transaction, release CLI

| run | seconds | variant rows/s | product rows/s | peak RSS |
|---|---|---|---|---|
| import into an empty brand ($n_products products, $n_variants variants, $n_movements ledger rows) | $first_s | $(rate "$VARIANTS" "$first_s") | $(rate "$PRODUCTS" "$first_s") | $(mib "$first_kib") MiB |
| the same file again (no-op: nothing written) | $again_s | $(rate "$VARIANTS" "$again_s") | $(rate "$PRODUCTS" "$again_s") | $(mib "$again_kib") MiB |
| the same catalog without opening stock, into an empty brand | $bare_s | $(rate "$VARIANTS" "$bare_s") | $(rate "$PRODUCTS" "$bare_s") | $(mib "$bare_kib") MiB |
MD
cat "$RESULTS/imports.md"

-- Keys that a table distributed by tenant_id can have (Citus enforces uniqueness per shard, so
-- every unique index of such a table contains tenant_id; docs/SCALING.md).
--
-- SKUs stay unique across the whole database without a unique index on `sku` alone.
--
-- A SKU starts with its brand's prefix (`FBX-HAIR-0042-BLK-250ML`), and prefixes are unique per
-- brand (tenants_sku_prefix_key). So "unique within the brand" plus "the prefix is the brand's
-- own" is "unique across the database": two brands' SKUs differ in their first three letters.
-- The prefix check becomes a foreign key from the SKU's prefix to the brand's prefix, replacing
-- the statement trigger that looked the brand up (a trigger reading another table is one Citus
-- runs on shards only as "unsafe").

-- The brand's (id, prefix) pair, for the foreign key. The API role cannot change either column.
alter table app.tenants add constraint tenants_id_sku_prefix_key unique (id, sku_prefix);

-- The SKU's first three letters (variants_sku_format already requires `^[A-Z]{3}-`).
alter table app.variants
  add column sku_prefix text generated always as (left(sku, 3)) stored;

alter table app.variants
  add constraint variants_sku_prefix foreign key (tenant_id, sku_prefix)
    references app.tenants (id, sku_prefix);

create unique index variants_tenant_sku_key on app.variants (tenant_id, sku);
drop index app.variants_sku_key;

drop trigger variants_sku_prefix on app.variants;
drop function app.variants_sku_prefix();

-- Invitations are tenant-owned and accepted inside the brand's transaction (the brand comes
-- from the request), so their keys carry the brand like every other tenant table's. A token is
-- 32 random bytes: unique per brand is unique.
alter table app.staff_invitations drop constraint staff_invitations_pkey;
alter table app.staff_invitations add primary key (tenant_id, id);
create unique index staff_invitations_tenant_token_key on app.staff_invitations (tenant_id, token_hash);
drop index app.staff_invitations_token_key;

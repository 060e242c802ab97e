-- CSV catalog imports and product media (object storage).
--
-- Both tables are tenant-owned and follow the pattern of V1: tenant_id first, defaulting to the
-- transaction's tenant, in the primary key and every foreign key; RLS enabled and forced here,
-- opened to the API role by policies/50_imports_media.sql. The files themselves live in object
-- storage under the brand's own prefix (`{slug}/imports/...`, `{slug}/products/...`); these rows
-- say where, and only the brand's transaction can read them.

-- One uploaded CSV file and its import job (app.jobs kind `import_products`, ref = id). The
-- worker moves it through queued -> validating -> applying -> done, or to failed with the error
-- report. Progress is written from its own short transactions, never from the import's
-- transaction, so it is visible while the import runs.
create table app.imports (
  tenant_id       uuid not null default app.current_tenant() references app.tenants (id),
  id              uuid not null default gen_random_uuid(),
  -- As uploaded; shown to staff only, never used to build a storage key.
  file_name       text not null
                  constraint imports_file_name_length check (length(file_name) between 1 and 255),
  -- Built by the service from the brand's slug and the import id: `{slug}/imports/YYYY-MM/{id}.csv`.
  object_key      text not null
                  constraint imports_object_key_format check (object_key ~ '^[a-z0-9]+(-[a-z0-9]+)*/imports/[0-9]{4}-[0-9]{2}/[0-9a-f-]{36}\.csv$'),
  size_bytes      bigint not null constraint imports_size_nonnegative check (size_bytes >= 0),
  dry_run         boolean not null default false,
  state           text not null default 'queued'
                  constraint imports_state check (state in ('queued', 'validating', 'applying', 'done', 'failed')),
  rows_total      integer not null default 0,
  rows_validated  integer not null default 0,
  rows_applied    integer not null default 0,
  -- Counts of what the import did (or, for a dry run, would do) and a few examples.
  summary         jsonb not null default '{}'
                  constraint imports_summary_object check (jsonb_typeof(summary) = 'object'),
  -- The error report: [{"line": 7, "column": "price", "message": "..."}], capped; error_count
  -- is the full number.
  errors          jsonb not null default '[]'
                  constraint imports_errors_array check (jsonb_typeof(errors) = 'array'),
  error_count     integer not null default 0,
  -- Why a failed import failed when it is not the rows' fault (unreadable file, storage).
  failure         text,
  created_by      uuid default app.current_user_id(),
  created_at      timestamptz not null default now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  updated_at      timestamptz not null default now(),
  primary key (tenant_id, id)
);
alter table app.imports enable row level security;
alter table app.imports force row level security;
create index imports_created_idx on app.imports (tenant_id, created_at);

-- Images of a product. The object key is `{slug}/products/{number, 4+ digits}/{name}`, built by
-- the service from the resolved brand; `name` is the sanitised file name (restricted character
-- set, no path), so a key can never leave the brand's prefix.
create table app.product_media (
  tenant_id     uuid not null default app.current_tenant() references app.tenants (id),
  id            uuid not null default gen_random_uuid(),
  product_id    uuid not null,
  name          text not null
                constraint product_media_name_format check (name ~ '^[a-z0-9]([a-z0-9_-]{0,78}[a-z0-9])?\.(jpg|png|webp)$'),
  -- Detected from the file's magic bytes, not taken from the client.
  content_type  text not null
                constraint product_media_content_type check (content_type in ('image/jpeg', 'image/png', 'image/webp')),
  size_bytes    integer not null
                constraint product_media_size check (size_bytes between 1 and 10485760),
  -- SHA-256 of the bytes, hex: the ETag the storefront serves.
  sha256        text not null constraint product_media_sha256_format check (sha256 ~ '^[0-9a-f]{64}$'),
  object_key    text not null
                constraint product_media_object_key_format check (object_key ~ '^[a-z0-9]+(-[a-z0-9]+)*/products/[0-9]{4,}/[a-z0-9._-]+$'),
  position      integer not null default 0,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint product_media_name_key unique (tenant_id, product_id, name),
  constraint product_media_product_fkey foreign key (tenant_id, product_id)
    references app.products (tenant_id, id)
);
alter table app.product_media enable row level security;
alter table app.product_media force row level security;

-- Translations (issue 21): the locales a brand sells in, and product and category text per
-- locale. The product's and category's own columns hold the text of the brand's default
-- locale; a translation row holds another locale's text, field by field (a NULL field falls
-- back to the default locale's text).

-- unaccent is a trusted extension, created by the owner like pg_trgm (V3). Customers type on
-- phones and skip accents: "champu" must find "Champú".
create extension if not exists unaccent with schema ext;

-- One text search configuration per language PostgreSQL stems, with accents folded before
-- stemming (the unaccent dictionary as a filter), and a language-neutral one for the rest
-- (Japanese and any language without a stemmer).
do $$
declare
  lang text;
begin
  foreach lang in array array['simple', 'english', 'spanish', 'portuguese', 'french', 'german',
                              'italian', 'dutch', 'danish', 'swedish', 'norwegian', 'finnish',
                              'russian', 'turkish', 'romanian', 'hungarian'] loop
    execute format('create text search configuration app.%I (copy = pg_catalog.%I)',
                   lang || '_unaccent', lang);
    execute format('alter text search configuration app.%I alter mapping for hword, hword_part, word '
                   'with ext.unaccent, %I', lang || '_unaccent',
                   case when lang = 'simple' then 'simple' else lang || '_stem' end);
  end loop;
end
$$;

-- The text search configuration of a BCP 47 locale (its language subtag): `es-MX` searches
-- in Spanish, `ja` in the neutral configuration. IMMUTABLE so it can feed a generated column:
-- the configurations it names are created above and never change.
create function app.locale_ts_config(locale text) returns regconfig
  language sql immutable parallel safe
  set search_path = pg_catalog
as $$
  select (case split_part(lower(locale), '-', 1)
    when 'en' then 'app.english_unaccent'
    when 'es' then 'app.spanish_unaccent'
    when 'pt' then 'app.portuguese_unaccent'
    when 'fr' then 'app.french_unaccent'
    when 'de' then 'app.german_unaccent'
    when 'it' then 'app.italian_unaccent'
    when 'nl' then 'app.dutch_unaccent'
    when 'da' then 'app.danish_unaccent'
    when 'sv' then 'app.swedish_unaccent'
    when 'no' then 'app.norwegian_unaccent'
    when 'nb' then 'app.norwegian_unaccent'
    when 'fi' then 'app.finnish_unaccent'
    when 'ru' then 'app.russian_unaccent'
    when 'tr' then 'app.turkish_unaccent'
    when 'ro' then 'app.romanian_unaccent'
    when 'hu' then 'app.hungarian_unaccent'
    else 'app.simple_unaccent'
  end)::regconfig
$$;

-- A BCP 47 tag in its canonical case (language, optional script, optional region): `en`,
-- `pt-BR`, `zh-Hant-TW`. The API parses and canonicalises; the check keeps the column honest.
create function app.is_locale_tag(tag text) returns boolean
  language sql immutable parallel safe
  set search_path = pg_catalog
as $$
  select tag ~ '^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$'
$$;

-- Every element a tag (and none NULL).
create function app.are_locale_tags(tags text[]) returns boolean
  language sql immutable parallel safe
  set search_path = pg_catalog
as $$
  select coalesce(bool_and(l is not null and app.is_locale_tag(l)), true) from unnest(tags) l
$$;

-- The locales a brand sells in. No row: the brand's only locale is `en`.
create table app.brand_locales (
  tenant_id       uuid not null default app.current_tenant() references app.tenants (id),
  locales         text[] not null
                  constraint brand_locales_count check (cardinality(locales) between 1 and 20)
                  constraint brand_locales_format check (app.are_locale_tags(locales)),
  default_locale  text not null constraint brand_locales_default_format check (app.is_locale_tag(default_locale)),
  updated_at      timestamptz not null default now(),
  primary key (tenant_id),
  constraint brand_locales_default_listed check (default_locale = any (locales))
);
alter table app.brand_locales enable row level security;
alter table app.brand_locales force row level security;

-- A product's text in one locale. option_labels maps an axis name or option value as the
-- product spells it to its label in this locale ({"Size": "Tamaño", "Jasmine": "Jazmín"}).
-- search: the name (weight A) and description (B) in the locale's own configuration.
create table app.product_translations (
  tenant_id      uuid not null default app.current_tenant() references app.tenants (id),
  product_id     uuid not null,
  locale         text not null constraint product_translations_locale_format check (app.is_locale_tag(locale)),
  name           text constraint product_translations_name_length check (length(btrim(name)) between 1 and 200),
  description    text constraint product_translations_description_length check (length(description) <= 10000),
  option_labels  jsonb not null default '{}'
                 constraint product_translations_labels_object check (jsonb_typeof(option_labels) = 'object'),
  search         tsvector generated always as (
                   setweight(to_tsvector(app.locale_ts_config(locale), coalesce(name, '')), 'A') ||
                   setweight(to_tsvector(app.locale_ts_config(locale), coalesce(description, '')), 'B')
                 ) stored,
  updated_at     timestamptz not null default now(),
  primary key (tenant_id, product_id, locale),
  constraint product_translations_product_fkey foreign key (tenant_id, product_id)
    references app.products (tenant_id, id) on delete cascade
);
alter table app.product_translations enable row level security;
alter table app.product_translations force row level security;
create index product_translations_search_idx on app.product_translations using gin (search);
-- Substring matches on translated names (partial words, Japanese).
create index product_translations_name_trgm_idx on app.product_translations using gin (name ext.gin_trgm_ops);

-- A category's name in one locale.
create table app.category_translations (
  tenant_id    uuid not null default app.current_tenant() references app.tenants (id),
  category_id  uuid not null,
  locale       text not null constraint category_translations_locale_format check (app.is_locale_tag(locale)),
  name         text not null
               constraint category_translations_name_length check (length(btrim(name)) between 1 and 200),
  updated_at   timestamptz not null default now(),
  primary key (tenant_id, category_id, locale),
  constraint category_translations_category_fkey foreign key (tenant_id, category_id)
    references app.categories (tenant_id, id) on delete cascade
);
alter table app.category_translations enable row level security;
alter table app.category_translations force row level security;

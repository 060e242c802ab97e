-- Searchable text of the brand's products, per locale: the product's own text (name,
-- description, category and option values, in the brand's default locale: `locale`) and, in
-- `translations`, [locale, text] for each translation into another locale the brand still
-- sells in, as a customer of that locale reads the product on the storefront (each field
-- falling back to the product's own: product and category names, description, option values
-- through the option labels). A translation of a locale removed from the brand's locales is
-- kept in its table but not indexed (README, "Translations"). The sparse vectors stem each
-- text under every index language (src/search/sparse.rs); the index tags each point with its
-- locale's language, searched first.
-- $1 is the brand; $2 null: every product of the brand.
with brand as (
  select coalesce((select b.locales from app.brand_locales b where b.tenant_id = $1), '{en}') as locales,
         coalesce((select b.default_locale from app.brand_locales b where b.tenant_id = $1), 'en') as default_locale
)
select p.id, p.number,
       concat_ws(' ', p.name, p.description, c.name, c.code,
                 (select string_agg(distinct o->>'value', ' ')
                  from app.variants v, jsonb_array_elements(v.options) o
                  where v.tenant_id = p.tenant_id and v.product_id = p.id and v.is_active)) as text,
       brand.default_locale as locale,
       coalesce((select jsonb_agg(jsonb_build_array(
                          t.locale,
                          concat_ws(' ', coalesce(t.name, p.name), coalesce(t.description, p.description),
                                    coalesce(ct.name, c.name), c.code,
                                    (select string_agg(distinct coalesce(t.option_labels->>(o->>'value'), o->>'value'), ' ')
                                     from app.variants v, jsonb_array_elements(v.options) o
                                     where v.tenant_id = p.tenant_id and v.product_id = p.id and v.is_active)))
                        order by t.locale)
                 from app.product_translations t
                 left join app.category_translations ct
                   on ct.tenant_id = t.tenant_id and ct.category_id = p.category_id and ct.locale = t.locale
                 where t.tenant_id = p.tenant_id and t.product_id = p.id
                   and t.locale = any (brand.locales) and t.locale <> brand.default_locale),
                '[]'::jsonb) as translations,
       p.status
from app.products p
cross join brand
join app.categories c on c.tenant_id = p.tenant_id and c.id = p.category_id
where p.tenant_id = $1 and ($2::uuid[] is null or p.id = any($2))

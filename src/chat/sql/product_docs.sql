-- Searchable text of active products: name, description, category and option values.
-- $1 null: every active product of the brand.
select p.id, p.number,
       concat_ws(' ', p.name, p.description, c.name, c.code,
                 (select string_agg(distinct o->>'value', ' ')
                  from app.variants v, jsonb_array_elements(v.options) o
                  where v.tenant_id = p.tenant_id and v.product_id = p.id and v.is_active)) as text,
       p.status
from app.products p
join app.categories c on c.tenant_id = p.tenant_id and c.id = p.category_id
where ($1::uuid[] is null or p.id = any($1))

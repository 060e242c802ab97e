-- Each row carries the product as the API's StorefrontProduct JSON, built here so the API
-- passes it through without parsing (tests check the shape against the schema).
select p.number, null::real as rank,
       json_build_object(
         'number', p.number,
         'handle', p.handle,
         'name', p.name,
         'description', p.description,
         'category', json_build_object('code', c.code, 'name', c.name),
         'currency', $2::text,
         'price_minor', p.base_price_minor,
         'variants', coalesce((
           select json_agg(json_build_object(
                    'sku', v.sku,
                    'options', v.options,
                    'price_minor', coalesce(v.price_override_minor, p.base_price_minor),
                    'available', app.available(v.id),
                    'available_in_zone', case when $3::uuid is null then null else app.available(v.id, $3) end)
                  order by v.position)
           from app.variants v
           where v.tenant_id = p.tenant_id and v.product_id = p.id and v.is_active
         ), '[]'::json)
       )::text as item
from app.products p
join app.categories c on c.tenant_id = p.tenant_id and c.id = p.category_id
where p.status = 'active' and p.number = $1

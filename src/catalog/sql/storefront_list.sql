-- Active products of the transaction's brand in number order after the cursor, each with its
-- active variants. Row-level security alone picks the brand. Numbers only grow, so products
-- added while a client pages appear at the end and nothing is seen twice or skipped.
select p.number, p.handle, p.name, p.description, p.base_price_minor,
       c.code as category_code, c.name as category_name,
       coalesce((
         select json_agg(json_build_object(
                  'sku', v.sku,
                  'options', v.options,
                  'price_minor', coalesce(v.price_override_minor, p.base_price_minor))
                order by v.position)
         from app.variants v
         where v.tenant_id = p.tenant_id and v.product_id = p.id and v.is_active
       ), '[]'::json) as variants,
       null::real as rank
from app.products p
join app.categories c on c.tenant_id = p.tenant_id and c.id = p.category_id
where p.status = 'active'
  and p.number > $1
  and ($2::text is null or c.code = $2)
order by p.number
limit $3

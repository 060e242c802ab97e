-- Staff product list of brand $1 in number order, after the cursor's number.
select p.id, p.number, p.handle, p.sku_stem, p.name, p.description, p.status, p.tax_class,
       p.base_price_minor, p.axes, p.created_at, p.updated_at, c.code as category_code,
       c.name as category_name
from app.products p
join app.categories c on c.tenant_id = p.tenant_id and c.id = p.category_id
where p.tenant_id = $1
  and p.number > $2
  and ($3::text is null or p.status = $3)
  and ($4::text is null or c.code = $4)
order by p.number
limit $5

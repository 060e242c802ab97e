select c.id, c.code, c.name,
       (select count(*) from app.products p where p.tenant_id = c.tenant_id and p.category_id = c.id) as product_count
from app.categories c
where c.tenant_id = $1
order by c.code

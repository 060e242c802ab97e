-- An order's discount, the promotions applied, and each line's discount (by line id).
select o.discount_minor, o.promotions,
       array(select l.id from app.order_lines l
             where l.tenant_id = o.tenant_id and l.order_id = o.id order by l.id) as line_ids,
       array(select l.discount_minor from app.order_lines l
             where l.tenant_id = o.tenant_id and l.order_id = o.id order by l.id) as line_discounts
from app.orders o
where o.tenant_id = $1 and o.id = $2

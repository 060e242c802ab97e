select l.id, l.variant_id, l.sku, l.quantity, l.unit_price_minor
from app.order_lines l
where l.order_id = $1
order by l.position

-- Lines the previous release writes carry no line total: unit price x quantity (no tax).
select l.id, l.variant_id, l.sku, l.quantity, l.unit_price_minor, l.tax_class, l.tax_rate_bp,
       l.tax_minor, coalesce(l.line_total_minor, l.unit_price_minor * l.quantity) as line_total_minor
from app.order_lines l
where l.tenant_id = $1 and l.order_id = $2
order by l.position

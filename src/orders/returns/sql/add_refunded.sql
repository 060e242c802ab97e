-- A confirmed refund: the order's refunded amount grows (the table's check keeps it within
-- the total); a paid order whose whole total went back becomes `refunded`.
update app.orders
set refunded_minor = refunded_minor + $3,
    status = case when refunded_minor + $3 = total_minor
                   and status in ('paid', 'partially_shipped', 'shipped')
                  then 'refunded' else status end,
    updated_at = now()
where tenant_id = $1 and id = $2
returning status, refunded_minor

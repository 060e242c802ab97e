-- One parcel of an order, from one zone; created_by and shipped_at from their defaults (the
-- transaction's staff member, now).
insert into app.shipments (tenant_id, order_id, zone_id, carrier, tracking_number, tracking_url)
values ($1, $2, $3, $4, $5, $6)
returning id, created_by, shipped_at

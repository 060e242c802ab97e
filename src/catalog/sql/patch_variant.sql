-- Brand $1's variant $2 (SKU). $3/$4: whether to set the price override (which may be set to
-- null) and its value; $7/$8 the same for the shipping weight.
update app.variants
set price_override_minor = case when $3 then $4 else price_override_minor end,
    reorder_threshold = coalesce($5, reorder_threshold),
    is_active = coalesce($6, is_active),
    weight_grams = case when $7 then $8 else weight_grams end,
    updated_at = now()
where tenant_id = $1 and sku = $2

-- $2/$3: whether to set the price override (which may be set to null) and its value; $6/$7
-- the same for the shipping weight.
update app.variants
set price_override_minor = case when $2 then $3 else price_override_minor end,
    reorder_threshold = coalesce($4, reorder_threshold),
    is_active = coalesce($5, is_active),
    weight_grams = case when $6 then $7 else weight_grams end,
    updated_at = now()
where sku = $1

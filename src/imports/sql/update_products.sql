-- Set-based: every changed product of a chunk in one statement (unchanged ones are never
-- named, so their updated_at stays). A null axes keeps the product's own.
update app.products p
set category_id = u.category_id,
    name = u.name,
    description = u.description,
    status = u.status,
    base_price_minor = u.base_price_minor,
    axes = coalesce(u.axes, p.axes),
    updated_at = now()
from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::jsonb[])
  as u(id, category_id, name, description, status, base_price_minor, axes)
where p.id = u.id

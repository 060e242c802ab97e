-- Set-based: every changed product of a chunk of brand $1 in one statement (unchanged ones are
-- never named, so their updated_at stays). A null axes keeps the product's own.
update app.products p
set category_id = u.category_id,
    name = u.name,
    description = u.description,
    status = u.status,
    base_price_minor = u.base_price_minor,
    axes = coalesce(u.axes, p.axes),
    updated_at = now()
from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::jsonb[])
  as u(id, category_id, name, description, status, base_price_minor, axes)
where p.tenant_id = $1 and p.id = u.id

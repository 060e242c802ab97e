update app.variants v set position = p.position
from unnest($2::uuid[], $3::int[]) as p(id, position)
where v.tenant_id = $1 and v.id = p.id and v.position <> p.position

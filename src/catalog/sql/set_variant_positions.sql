update app.variants v set position = p.position
from unnest($1::uuid[], $2::int[]) as p(id, position)
where v.id = p.id and v.position <> p.position

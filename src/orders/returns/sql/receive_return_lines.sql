update app.return_lines rl
set resellable_quantity = x.resellable, written_off_quantity = x.written_off,
    write_off_reason = x.reason
from unnest($3::uuid[], $4::int[], $5::int[], $6::text[]) as x(id, resellable, written_off, reason)
where rl.tenant_id = $1 and rl.return_id = $2 and rl.id = x.id

-- Every brand's events after the cursor: $1 brand slugs with $2 their last numbers delivered
-- (a brand not named: from its first event). A brand's numbers have no gaps and commit in
-- order, so "after n" never passes an event that commits later. Ordered by number, then brand:
-- each brand's events in order, the brands interleaved, and every batch a prefix of each
-- brand's remaining events.
select e.id, e.tenant_id, t.slug as brand, e.seq, e.type, e.subject, e.payload, e.pii,
       e.created_at
from app.events e
join app.tenants t on t.id = e.tenant_id
left join unnest($1::text[], $2::bigint[]) as c(slug, seq) on c.slug = t.slug
where e.seq > coalesce(c.seq, 0)
order by e.seq, e.tenant_id
limit $3

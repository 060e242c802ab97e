-- Per promotion, the uses by one email that still count (held or consumed).
select promotion_id, count(*) as uses
from app.promotion_uses
where tenant_id = $1 and email = $2 and promotion_id = any($3::uuid[]) and status in ('held', 'consumed')
group by promotion_id

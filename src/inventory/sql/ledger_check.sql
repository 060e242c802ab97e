-- Stock rows whose figures the ledger does not explain (should be none).
select v.sku, z.code as zone_code, s.on_hand, s.reserved,
       coalesce(m.on_hand, 0) as ledger_on_hand, coalesce(m.reserved, 0) as ledger_reserved
from app.stock s
join app.variants v on v.tenant_id = s.tenant_id and v.id = s.variant_id
join app.zones z on z.id = s.zone_id
left join (
  select variant_id, zone_id, sum(on_hand_delta) as on_hand, sum(reserved_delta) as reserved
  from app.stock_movements sm
  where sm.tenant_id = $1
  group by variant_id, zone_id
) m on m.variant_id = s.variant_id and m.zone_id = s.zone_id
where s.tenant_id = $1
  and (s.on_hand <> coalesce(m.on_hand, 0) or s.reserved <> coalesce(m.reserved, 0))

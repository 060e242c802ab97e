-- Opening stock of variants this import just created for brand $1 (so no stock row exists
-- yet): the rows with their units, in one statement. Their `receive` movements are written
-- next, in the same transaction, so the ledger explains every unit (on_hand = sum of
-- on_hand_delta).
insert into app.stock (tenant_id, variant_id, zone_id, on_hand)
select $1::uuid, u.* from unnest($2::uuid[], $3::uuid[], $4::int[]) as u

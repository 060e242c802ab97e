-- Opening stock of variants this import just created (so no stock row exists yet): the rows
-- with their units, in one statement. Their `receive` movements are written next, in the same
-- transaction, so the ledger explains every unit (on_hand = sum of on_hand_delta).
insert into app.stock (variant_id, zone_id, on_hand)
select * from unnest($1::uuid[], $2::uuid[], $3::int[])

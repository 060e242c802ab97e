-- Takes one use of a promotion if one is left. The row lock and the re-check of the condition
-- under it make concurrent takers count each other: never past usage_limit.
update app.promotions
set uses_count = uses_count + 1
where tenant_id = $1 and id = $2
  and (usage_limit is null or uses_count < usage_limit)
returning id

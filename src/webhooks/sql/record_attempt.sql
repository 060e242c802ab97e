-- The outcome of one attempt: $3 status, $4 response code, $5 error, $6 seconds to the next
-- attempt (null when none). Only while the delivery is pending.
update app.webhook_deliveries
set status = $3, attempts = attempts + 1, last_status_code = $4, last_error = $5,
    next_attempt_at = case when $6::float8 is null then null
                           else now() + make_interval(secs => $6::float8) end,
    delivered_at = case when $3 = 'delivered' then now() end,
    updated_at = now()
where tenant_id = $1 and id = $2 and status = 'pending'
returning attempts

-- Changes what is given ($3 url, $4 types, $5 active; null keeps it). Enabling an endpoint
-- clears its run of failures; disabling it by hand records when.
update app.webhook_endpoints w
set url = coalesce($3, w.url),
    event_types = coalesce($4::text[], w.event_types),
    active = coalesce($5, w.active),
    consecutive_failures = case when $5 and not w.active then 0 else w.consecutive_failures end,
    disabled_at = case when $5 then null
                       when not $5 and w.active then now()
                       else w.disabled_at end,
    updated_at = now()
where w.tenant_id = $1 and w.id = $2
returning id, url, event_types, active, consecutive_failures, disabled_at, created_at, updated_at

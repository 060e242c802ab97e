-- A delivery failed for good: one more failure in a row; at $3 the endpoint is disabled.
-- just_disabled is true only for the update that disabled it (disabled_at is the
-- transaction's now()), so the brand is told once.
update app.webhook_endpoints w
set consecutive_failures = w.consecutive_failures + 1,
    active = w.active and w.consecutive_failures + 1 < $3,
    disabled_at = case when w.active and w.consecutive_failures + 1 >= $3 then now()
                       else w.disabled_at end,
    updated_at = now()
where w.tenant_id = $1 and w.id = $2
returning w.url, w.consecutive_failures, (not w.active and w.disabled_at = now()) as just_disabled

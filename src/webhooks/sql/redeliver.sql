-- Sends a delivery again from its first attempt: back to pending. Only a delivery of the
-- named endpoint of the brand.
update app.webhook_deliveries
set status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = null,
    updated_at = now()
where tenant_id = $1 and endpoint_id = $2 and id = $3
returning id

-- Meta refused the message for good (or cannot be reached after the last attempt): kept
-- with the error, never sent again.
update app.customer_notifications
set status = 'failed', error_code = $3, error_title = $4, updated_at = now()
where tenant_id = $1 and id = $2

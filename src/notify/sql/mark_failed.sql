-- Meta refused the message for good (or cannot be reached after the last attempt): kept
-- with the error, never sent again.
update app.customer_notifications
set status = 'failed', error_code = $2, error_title = $3, updated_at = now()
where tenant_id = app.current_tenant() and id = $1

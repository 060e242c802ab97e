-- A send that failed in a way worth retrying (Meta said so, or could not be reached): back to
-- pending for the job's next attempt, with the error for whoever looks.
update app.customer_notifications
set status = 'pending', error_code = $2, error_title = $3, updated_at = now()
where tenant_id = app.current_tenant() and id = $1 and status = 'sending'

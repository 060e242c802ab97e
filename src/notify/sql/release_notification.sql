-- A send that failed in a way worth retrying (Meta said so, or could not be reached): back to
-- pending for the job's next attempt, with the error for whoever looks.
update app.customer_notifications
set status = 'pending', error_code = $3, error_title = $4, updated_at = now()
where tenant_id = $1 and id = $2 and status = 'sending'

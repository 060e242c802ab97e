-- Takes the notification for sending: only a pending one (never sent, or put back after a
-- failure worth retrying). Two runs at once: the row lock makes one of them wait, and it then
-- finds the row no longer pending.
update app.customer_notifications
set status = 'sending', attempts = attempts + 1, updated_at = now()
where tenant_id = $1 and order_id = $2 and event = $3 and status = 'pending'
returning id, template, language

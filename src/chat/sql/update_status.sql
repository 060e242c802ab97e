-- Delivery statuses only move forward (pending < sent < failed < delivered < read), whatever
-- order Meta delivers them in; a failure keeps its error.
update app.chat_messages
set status = $3, status_at = now(),
    error_code = case when $3 = 'failed' then $4 else error_code end,
    error_title = case when $3 = 'failed' then $5 else error_title end
where tenant_id = $1 and wamid = $2 and direction = 'outbound'
  and array_position(array['pending', 'sent', 'failed', 'delivered', 'read'], status)
      < array_position(array['pending', 'sent', 'failed', 'delivered', 'read'], $3::text)

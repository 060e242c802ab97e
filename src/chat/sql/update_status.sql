-- Delivery statuses only move forward (pending < sent < failed < delivered < read), whatever
-- order Meta delivers them in; a failure keeps its error.
update app.chat_messages
set status = $2, status_at = now(),
    error_code = case when $2 = 'failed' then $3 else error_code end,
    error_title = case when $2 = 'failed' then $4 else error_title end
where wamid = $1 and direction = 'outbound'
  and array_position(array['pending', 'sent', 'failed', 'delivered', 'read'], status)
      < array_position(array['pending', 'sent', 'failed', 'delivered', 'read'], $2::text)

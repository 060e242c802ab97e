-- The brand's last event number (0 before its first event): where a new stream starts.
select coalesce((select last_seq from app.event_counters where tenant_id = $1), 0)::bigint as last_seq

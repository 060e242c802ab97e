update app.orders
set status = $3,
    paid_at = case when $3 = 'paid' then now() else paid_at end,
    shipped_at = case when $3 = 'shipped' then now() else shipped_at end,
    cancelled_at = case when $3 = 'cancelled' then now() else cancelled_at end,
    expired_at = case when $3 = 'expired' then now() else expired_at end,
    conflict_reason = case when $3 = 'payment_conflict' then $4 else conflict_reason end,
    updated_at = now()
where tenant_id = $1 and id = $2

update app.orders
set status = $2,
    paid_at = case when $2 = 'paid' then now() else paid_at end,
    shipped_at = case when $2 = 'shipped' then now() else shipped_at end,
    cancelled_at = case when $2 = 'cancelled' then now() else cancelled_at end,
    expired_at = case when $2 = 'expired' then now() else expired_at end,
    conflict_reason = case when $2 = 'payment_conflict' then $3 else conflict_reason end,
    updated_at = now()
where id = $1

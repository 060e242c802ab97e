-- The brand a webhook's number routes to. Only a proved number routes (assigned by the company
-- owner or verified with the brand's token, V13): a number a brand merely typed routes nothing.
select tenant_id from app.whatsapp_numbers where phone_number_id = $1 and proof is not null

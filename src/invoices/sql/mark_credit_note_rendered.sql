-- The PDF is stored: the credit note can be downloaded. A second run changes nothing.
update app.credit_notes
set status = 'rendered', size_bytes = $3, rendered_at = now()
where tenant_id = $1 and id = $2 and status = 'pending'

-- The brand's number in the global routing table ($1 null: none). The brand is the
-- transaction's; the caller removes the old entry first (delete_number.sql).
insert into app.whatsapp_numbers (phone_number_id, tenant_id)
select $1::text, app.current_tenant() where $1::text is not null

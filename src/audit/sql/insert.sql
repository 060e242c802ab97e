-- Who, when and which brand are stamped by the audit_log_stamp trigger; $4 is honoured only
-- for the owner acting outside a brand.
insert into app.audit_log (action, subject, details, tenant_id)
values ($1, $2, $3, $4)

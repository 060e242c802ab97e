-- The deletion's actor, for the audit trail's stamp trigger (user and role); no brand is set,
-- so the record is a global entry that outlives the brand.
select set_config('app.tenant_id', '', true), set_config('app.user_id', $1, true),
       set_config('app.role', 'owner', true)

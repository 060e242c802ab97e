-- The settings a change starts from, locked so that two concurrent changes apply one after
-- the other (each merges into what the other wrote).
select paid_enabled, paid_template, shipped_enabled, shipped_template, template_languages,
       default_template_language
from app.notification_settings
where tenant_id = $1
for update

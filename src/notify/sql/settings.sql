-- The brand's notification settings; no row: nothing is sent (the defaults).
select paid_enabled, paid_template, shipped_enabled, shipped_template, template_languages,
       default_template_language
from app.notification_settings
where tenant_id = $1

-- Writes the whole, already merged and checked, settings row of the transaction's brand ($1).
insert into app.notification_settings as s
  (tenant_id, paid_enabled, paid_template, shipped_enabled, shipped_template, template_languages,
   default_template_language)
values ($1, $2, $3, $4, $5, $6, $7)
on conflict (tenant_id) do update
set paid_enabled = excluded.paid_enabled,
    paid_template = excluded.paid_template,
    shipped_enabled = excluded.shipped_enabled,
    shipped_template = excluded.shipped_template,
    template_languages = excluded.template_languages,
    default_template_language = excluded.default_template_language,
    updated_at = now()

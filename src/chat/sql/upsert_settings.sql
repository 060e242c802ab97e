-- Null parameters keep the current value ($11..$13 say whether to set the nullable fields). The
-- WhatsApp number is not here: it lives in app.whatsapp_numbers (prove_number.sql).
insert into app.chat_settings (access_token, persona, tone, languages, default_language,
                               greetings, fallbacks, handoff_keywords, app_secret, verify_token)
values ($1::text, coalesce($2::text, ''), coalesce($3::text, ''), coalesce($4::text[], '{en}'),
        coalesce($5::text, 'en'), coalesce($6::jsonb, '{}'), coalesce($7::jsonb, '{}'),
        coalesce($8::text[], '{}'), $9::text, $10::text)
on conflict (tenant_id) do update set
  access_token = case when $11::bool then excluded.access_token else app.chat_settings.access_token end,
  persona = coalesce($2::text, app.chat_settings.persona),
  tone = coalesce($3::text, app.chat_settings.tone),
  languages = coalesce($4::text[], app.chat_settings.languages),
  default_language = coalesce($5::text, app.chat_settings.default_language),
  greetings = coalesce($6::jsonb, app.chat_settings.greetings),
  fallbacks = coalesce($7::jsonb, app.chat_settings.fallbacks),
  handoff_keywords = coalesce($8::text[], app.chat_settings.handoff_keywords),
  app_secret = case when $12::bool then excluded.app_secret else app.chat_settings.app_secret end,
  verify_token = case when $13::bool then excluded.verify_token else app.chat_settings.verify_token end,
  updated_at = now()

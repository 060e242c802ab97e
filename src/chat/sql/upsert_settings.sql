-- Null parameters keep the current value ($12..$15 say whether to set the nullable fields).
insert into app.chat_settings (phone_number_id, access_token, persona, tone, languages, default_language,
                               greetings, fallbacks, handoff_keywords, app_secret, verify_token)
values ($1::text, $2::text, coalesce($3::text, ''), coalesce($4::text, ''), coalesce($5::text[], '{en}'),
        coalesce($6::text, 'en'), coalesce($7::jsonb, '{}'), coalesce($8::jsonb, '{}'),
        coalesce($9::text[], '{}'), $10::text, $11::text)
on conflict (tenant_id) do update set
  phone_number_id = case when $12::bool then excluded.phone_number_id else app.chat_settings.phone_number_id end,
  access_token = case when $13::bool then excluded.access_token else app.chat_settings.access_token end,
  persona = coalesce($3::text, app.chat_settings.persona),
  tone = coalesce($4::text, app.chat_settings.tone),
  languages = coalesce($5::text[], app.chat_settings.languages),
  default_language = coalesce($6::text, app.chat_settings.default_language),
  greetings = coalesce($7::jsonb, app.chat_settings.greetings),
  fallbacks = coalesce($8::jsonb, app.chat_settings.fallbacks),
  handoff_keywords = coalesce($9::text[], app.chat_settings.handoff_keywords),
  app_secret = case when $14::bool then excluded.app_secret else app.chat_settings.app_secret end,
  verify_token = case when $15::bool then excluded.verify_token else app.chat_settings.verify_token end,
  updated_at = now()

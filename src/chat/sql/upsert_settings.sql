-- $1 is the brand. Null parameters keep the current value ($12..$14 say whether to set the
-- nullable fields). The WhatsApp number is not here: it lives in app.whatsapp_numbers
-- (prove_number.sql).
insert into app.chat_settings as s (tenant_id, access_token, persona, tone, languages, default_language,
                                    greetings, fallbacks, handoff_keywords, app_secret, verify_token)
values ($1, $2::text, coalesce($3::text, ''), coalesce($4::text, ''), coalesce($5::text[], '{en}'),
        coalesce($6::text, 'en'), coalesce($7::jsonb, '{}'), coalesce($8::jsonb, '{}'),
        coalesce($9::text[], '{}'), $10::text, $11::text)
on conflict (tenant_id) do update set
  access_token = case when $12::bool then excluded.access_token else s.access_token end,
  persona = coalesce($3::text, s.persona),
  tone = coalesce($4::text, s.tone),
  languages = coalesce($5::text[], s.languages),
  default_language = coalesce($6::text, s.default_language),
  greetings = coalesce($7::jsonb, s.greetings),
  fallbacks = coalesce($8::jsonb, s.fallbacks),
  handoff_keywords = coalesce($9::text[], s.handoff_keywords),
  app_secret = case when $13::bool then excluded.app_secret else s.app_secret end,
  verify_token = case when $14::bool then excluded.verify_token else s.verify_token end,
  updated_at = now()

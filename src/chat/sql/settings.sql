-- The brand's ($1) assistant settings with its WhatsApp number, which lives in the global
-- routing table (the company owner may have assigned it before the brand saved any settings).
-- One row for the transaction's brand: the defaults where it never saved settings.
select n.phone_number_id, n.proof as phone_number_proof, s.access_token,
       coalesce(s.persona, '') as persona, coalesce(s.tone, '') as tone,
       coalesce(s.languages, '{en}') as languages,
       coalesce(s.default_language, 'en') as default_language,
       coalesce(s.greetings, '{}') as greetings, coalesce(s.fallbacks, '{}') as fallbacks,
       coalesce(s.handoff_keywords, '{}') as handoff_keywords, s.app_secret, s.verify_token
from (select $1::uuid as tenant_id) as brand
left join app.chat_settings s on s.tenant_id = $1
left join app.whatsapp_numbers n on n.tenant_id = brand.tenant_id
where brand.tenant_id is not null

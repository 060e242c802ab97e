-- The WhatsApp assistant.

-- app.whatsapp_numbers: global. Meta's webhooks name the business number, not the brand, so
-- the brand is found from it before any tenant is known. Holds no secrets. The API role reads
-- it (the webhook's routing, a brand's own number) and writes it only through the two
-- functions of V13, each of which writes one brand's row: in a brand's transaction that
-- brand's alone, outside any brand only for the company owner (or the system). So no brand
-- can claim, move or drop another brand's number. Earlier runs granted INSERT, UPDATE and
-- DELETE: the revoke (in the same transaction as the grant) takes them back.
revoke all on app.whatsapp_numbers from {{api_role}};
grant select on app.whatsapp_numbers to {{api_role}};
grant execute on function app.prove_whatsapp_number(uuid, text, text), app.release_whatsapp_number(uuid)
  to {{api_role}};

-- Settings hold the brand's Graph API token: no analytics grant.
call app.isolate_tenant_table('app.chat_settings', '{{api_role}}');
grant select, insert, update on app.chat_settings to {{api_role}};

call app.isolate_tenant_table('app.conversations', '{{api_role}}');
grant select, insert, update on app.conversations to {{api_role}};

call app.isolate_tenant_table('app.chat_messages', '{{api_role}}');
grant select, insert, update on app.chat_messages to {{api_role}};

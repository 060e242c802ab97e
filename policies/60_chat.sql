-- The WhatsApp assistant.

-- app.whatsapp_numbers: global. Meta's webhooks name the business number, not the brand, so
-- the brand is found from it before any tenant is known. Holds no secrets.
grant select, insert, update, delete on app.whatsapp_numbers to {{api_role}};

-- Settings hold the brand's Graph API token: no analytics grant.
call app.isolate_tenant_table('app.chat_settings', '{{api_role}}');
grant select, insert, update on app.chat_settings to {{api_role}};

call app.isolate_tenant_table('app.conversations', '{{api_role}}');
grant select, insert, update on app.conversations to {{api_role}};

call app.isolate_tenant_table('app.chat_messages', '{{api_role}}');
grant select, insert, update on app.chat_messages to {{api_role}};

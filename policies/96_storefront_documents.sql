-- Pre-rendered storefront documents (V35).

-- Written only by app.storefront_render(), from the triggers on the catalog tables, which run
-- with the rights of the transaction that changes the catalog: the API role inserts, updates
-- and deletes the documents of its brand (a locale the brand drops takes its documents with
-- it). The storefront reads them.
call app.isolate_tenant_table('app.storefront_documents', '{{api_role}}');
grant select, insert, update, delete on app.storefront_documents to {{api_role}};

-- Called by the triggers (with the caller's rights) and by checks of the stored documents.
grant execute on function app.storefront_document_parts(uuid[], uuid[]),
  app.storefront_render(uuid[], uuid[]), app.storefront_documents_stale()
  to {{api_role}};

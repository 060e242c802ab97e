-- Translations (V29): tenant-owned, isolated by the canonical policy.

-- The brand's locales: read by the storefront, written by catalog.write staff.
call app.isolate_tenant_table('app.brand_locales', '{{api_role}}');
grant select, insert, update on app.brand_locales to {{api_role}};

-- Product and category text per locale: read by the storefront and the assistant's index,
-- written by catalog.write staff and the CSV import; a translation may be removed.
call app.isolate_tenant_table('app.product_translations', '{{api_role}}');
grant select, insert, update, delete on app.product_translations to {{api_role}};
grant select on app.product_translations to {{analytics_role}};

call app.isolate_tenant_table('app.category_translations', '{{api_role}}');
grant select, insert, update, delete on app.category_translations to {{api_role}};
grant select on app.category_translations to {{analytics_role}};

grant execute on function app.locale_ts_config(text), app.is_locale_tag(text), app.are_locale_tags(text[])
  to {{api_role}};

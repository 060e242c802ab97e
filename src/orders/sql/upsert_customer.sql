-- A storefront customer is known by email within the brand.
insert into app.customers (name, email, phone, preferred_language)
values ($1, $2, $3, $4)
on conflict (tenant_id, email) where email is not null
do update set name = excluded.name,
              phone = coalesce(excluded.phone, app.customers.phone),
              preferred_language = coalesce(excluded.preferred_language, app.customers.preferred_language),
              updated_at = now()
returning id

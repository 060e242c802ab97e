-- A storefront customer is known by email within the brand. An anonymous checkout attaches
-- its order to that email but never rewrites who the customer is: a stored name, phone or
-- language is kept, only missing ones are filled. What this checkout sent is the order's own
-- snapshot (app.orders.customer_name, customer_phone).
insert into app.customers (name, email, phone, preferred_language)
values ($1, $2, $3, $4)
on conflict (tenant_id, email) where email is not null
do update set name = case when app.customers.name = '' then excluded.name else app.customers.name end,
              phone = coalesce(app.customers.phone, excluded.phone),
              preferred_language = coalesce(app.customers.preferred_language, excluded.preferred_language),
              updated_at = now()
returning id

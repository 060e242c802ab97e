-- Searchable text of active products: name, description, category and option values, then the
-- same in every locale the brand has translated them into (product and category translations,
-- option labels), so a question finds the product in the customer's own words (the sparse
-- vectors stem the text under each language: src/search/sparse.rs).
-- $1 null: every active product of the brand.
select p.id, p.number,
       concat_ws(' ', p.name, p.description, c.name, c.code,
                 (select string_agg(distinct o->>'value', ' ')
                  from app.variants v, jsonb_array_elements(v.options) o
                  where v.tenant_id = p.tenant_id and v.product_id = p.id and v.is_active),
                 (select string_agg(concat_ws(' ', t.name, t.description, ct.name,
                                              (select string_agg(l.value, ' ')
                                               from jsonb_each_text(t.option_labels) l)),
                                    ' ' order by t.locale)
                  from app.product_translations t
                  left join app.category_translations ct
                    on ct.tenant_id = t.tenant_id and ct.category_id = p.category_id and ct.locale = t.locale
                  where t.tenant_id = p.tenant_id and t.product_id = p.id)) as text,
       p.status
from app.products p
join app.categories c on c.tenant_id = p.tenant_id and c.id = p.category_id
where ($1::uuid[] is null or p.id = any($1))

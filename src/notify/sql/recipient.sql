-- Who to tell about an order, and in which language: the order's phone (as its checkout sent
-- it), and the language known for the customer: that of their latest WhatsApp conversation
-- with the brand (the same customer, or the conversation of the order's phone number), else the
-- customer's preferred language, else none (the brand's default is used).
select o.number, o.status, o.customer_phone,
       coalesce(
         (select c.language
          from app.conversations c
          where c.tenant_id = o.tenant_id and c.language is not null
            and (c.customer_id = o.customer_id or c.wa_id = ltrim(o.customer_phone, '+'))
          order by c.last_message_at desc nulls last
          limit 1),
         cu.preferred_language) as language
from app.orders o
join app.customers cu on cu.tenant_id = o.tenant_id and cu.id = o.customer_id
where o.tenant_id = $1 and o.id = $2

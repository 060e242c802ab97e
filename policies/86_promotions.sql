-- Promotions and their uses (V27).

-- Promotions: staff with promotions.write create, change and delete them, staff with
-- catalog.read read them; checkout and quotes read them and raise or lower uses_count, all in
-- the brand's transaction. Another brand's promotion (and so its code) is invisible.
call app.isolate_tenant_table('app.promotions', '{{api_role}}');
grant select, insert, update, delete on app.promotions to {{api_role}};
grant select on app.promotions to {{analytics_role}};

-- Uses: written by checkout (held), payment (consumed), expiry and cancellation (released).
-- Never deleted: they are the history the limits and analytics count.
call app.isolate_tenant_table('app.promotion_uses', '{{api_role}}');
grant select, insert, update on app.promotion_uses to {{api_role}};
grant select on app.promotion_uses to {{analytics_role}};

-- Checkout stores each line's share of the discount after inserting the lines (lines are
-- otherwise insert-only for the API).
grant update (discount_minor) on app.order_lines to {{api_role}};

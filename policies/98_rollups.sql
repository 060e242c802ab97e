-- Analytics rollups (V37, V39): app.sales_daily, app.sales_weekly, app.sales_monthly,
-- app.sales_yearly, app.product_sales_daily, app.product_sales_monthly,
-- app.product_sales_yearly, app.catalog_counts.
--
-- Read by the analytics role only. The API role holds no privilege on them (policies/audit.sql
-- fails if it does): the trigger on app.orders hands each order's figures to
-- app.sales_rollup_apply, a SECURITY DEFINER function of the owner role that writes them and
-- returns nothing, and runs only from a trigger and for the transaction's brand; the triggers on
-- app.variants that keep app.catalog_counts are SECURITY DEFINER functions of the owner role
-- reading only their statement's transition tables (a trigger function cannot be called
-- directly, and none is granted). No row-level
-- security: no brand role reads them, and the analytics role reads across brands by design.
revoke all on app.sales_daily, app.sales_weekly, app.sales_monthly, app.sales_yearly,
  app.product_sales_daily, app.product_sales_monthly, app.product_sales_yearly,
  app.catalog_counts from {{api_role}};
grant select on app.sales_daily, app.sales_weekly, app.sales_monthly, app.sales_yearly,
  app.product_sales_daily, app.product_sales_monthly, app.product_sales_yearly,
  app.catalog_counts to {{analytics_role}};
grant execute on function app.sales_rollup_apply(uuid, integer, text, timestamptz, bigint, bigint,
  uuid[], bigint[], bigint[], integer) to {{api_role}};
-- How a range is cut into pieces of the daily, monthly and yearly rows (V39):
-- pure functions of their arguments, read nothing.
grant execute on function app.sales_range_pieces(date, date, date),
  app.sales_pieces_in_year(date, date, date, integer),
  app.sales_pieces_in_month(date, date, date, integer) to {{analytics_role}};

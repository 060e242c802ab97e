-- Whether the connection may see every brand's rows: row-level security is forced on the
-- brand tables, and a role that it filters would count and delete nothing.
select r.rolsuper or r.rolbypassrls as sees_all
from pg_roles r where r.rolname = current_user

-- The deletion record: a global audit entry (no brand: the brand's own entries are deleted
-- with it, and a brand column would point at a row that no longer exists). Who and when are
-- stamped by the trigger; append-only like the rest of the trail.
insert into app.audit_log (action, subject, details) values ($1, $2, $3)

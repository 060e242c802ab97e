update app.staff_invitations set accepted_by = $3 where tenant_id = $1 and id = $2

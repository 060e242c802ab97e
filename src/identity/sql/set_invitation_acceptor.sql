update app.staff_invitations set accepted_by = $2 where id = $1

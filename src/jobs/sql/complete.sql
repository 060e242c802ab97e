update app.jobs set status = 'done', locked_until = null, last_error = null, updated_at = now()
where id = $1

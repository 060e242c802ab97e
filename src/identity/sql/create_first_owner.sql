-- The company's first owner, through the one function that may write `is_owner`.
select app.create_first_owner($1, $2, $3)

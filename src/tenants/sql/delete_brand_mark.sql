-- Names the brand being deleted for this transaction: the triggers that render storefront
-- documents (sql/V35__storefront_documents.sql) skip its products, whose rows all go here.
select set_config('app.deleting_brand', $1, true)

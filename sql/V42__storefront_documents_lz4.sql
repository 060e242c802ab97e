-- The storefront documents compressed with lz4 instead of pglz.
--
-- Every storefront page reads 50 documents (src/catalog/sql/storefront_item.sql), and a
-- document's variant fragments (about 4 KB of JSON a product in the demo catalog) are past
-- PostgreSQL's TOAST threshold, so most of them are stored compressed, with pglz by default: each
-- page decompresses some 200 KB. lz4 decompresses several times faster, for a sixth more bytes
-- here (the demo's fragments: 738 bytes a document on average against pglz's 638).
-- pgbench, the list statement on two copies of one database (16 clients, 10 s, three rounds):
-- 413 / 415 / 438 tps with pglz, 434 / 451 / 457 with lz4 (bench/README.md, "The page's figures
-- in one row, the documents in lz4").
--
-- The setting is the columns' own (new values, whoever writes them: the rendering triggers of
-- V35), and the existing documents are written again so they are stored with it. A PostgreSQL
-- built without lz4 refuses the setting: the documents then stay as they are, with a notice,
-- and nothing else depends on it.
do $$
begin
  alter table app.storefront_documents
    alter column head set compression lz4,
    alter column middle set compression lz4,
    alter column variants set compression lz4,
    alter column tail set compression lz4;
exception when feature_not_supported then
  raise notice 'this PostgreSQL has no lz4: the storefront documents stay compressed with pglz';
end
$$;

-- Rewritten under FORCE lifted (as V32, V37 and V40 write across brands), with the same
-- values: `|| ''` makes each a new datum, compressed with the column's method when stored; only
-- when the setting took. No trigger reads this table, and nothing else may write it meanwhile.
lock table app.storefront_documents in share row exclusive mode;
alter table app.storefront_documents no force row level security;
update app.storefront_documents
set head = head || '', middle = middle || '', variants = variants || '{}'::text[], tail = tail || ''
where (pg_column_compression(variants) = 'pglz' or pg_column_compression(head) = 'pglz'
   or pg_column_compression(middle) = 'pglz' or pg_column_compression(tail) = 'pglz')
  and exists (select from pg_attribute a
              where a.attrelid = 'app.storefront_documents'::regclass and a.attname = 'variants'
                and a.attcompression = 'l');
alter table app.storefront_documents force row level security;

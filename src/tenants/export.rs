//! `brandhouse brand export`: one brand's complete data as a portable archive.
//!
//! Every brand-owned table is read through the brand's own transaction (row-level security
//! decides, as for every request), all from one snapshot ([`Db::tenant_snapshot`]), as JSON
//! Lines, one file per table, plus every file the brand has in object storage, and a
//! manifest. The archive is a plain tar file:
//!
//! ```text
//! manifest.json             brand, slug, time, tables with row counts, files
//! tables/<table>.jsonl      one JSON object per row (`to_jsonb` of the row)
//! files/<key>               the brand's objects, by key
//! ```
//!
//! Credentials stay out: every column of a brand-owned table whose name says it holds one
//! (`secret`, `token`, `password`, `api_key`, `credential`: the payment webhook secret, the
//! WhatsApp access token and app secret, webhook signing secrets, token hashes) is left out of
//! its rows, found from the catalog at export time so a column added later is left out too. The
//! manifest lists them (`left_out`); whoever restores a brand sets them again.

use std::io::Write;

use anyhow::Context as _;
use serde_json::json;

use crate::{
    db::Db,
    media::{MediaStore, store::ObjectKey},
    scope::TenantScope,
};

/// What an export wrote.
#[derive(Debug)]
pub struct ExportReport {
    /// Table name and row count, in name order.
    pub tables: Vec<(String, usize)>,
    /// Object keys.
    pub files: Vec<String>,
    /// Credential columns left out of the rows, as (table, column).
    pub left_out: Vec<(String, String)>,
}

/// One table as read: its name, its rows as JSON Lines, the row count.
type TableDump = (String, Vec<u8>, usize);

/// Writes brand `scope`'s archive to `out`.
pub async fn export_brand(
    db: &Db,
    media: &MediaStore,
    scope: &TenantScope,
    out: impl Write,
) -> anyhow::Result<ExportReport> {
    // One `REPEATABLE READ READ ONLY` transaction for every table: all of them are read from
    // the one snapshot its first statement took, so an export taken during checkout traffic
    // is a state the brand was really in (an order with its lines, holds and stock movements,
    // never the order without the lines committed a moment later). Under READ COMMITTED each
    // statement would take its own snapshot and tables read later would see later commits.
    let (tables, left_out): (Vec<TableDump>, Vec<(String, String)>) = db
        .tenant_snapshot(scope, || {
            async |tx| {
                let mut left_out: Vec<(String, String)> = Vec::new();
                for row in tx
                    .query(include_str!("sql/secret_columns.sql"), &[])
                    .await
                    .map_err(crate::db::DbError::from)?
                {
                    left_out.push((
                        row.try_get("table_name")
                            .map_err(crate::db::DbError::from)?,
                        row.try_get("column_name")
                            .map_err(crate::db::DbError::from)?,
                    ));
                }
                let names = tx
                    .query(include_str!("sql/tenant_tables.sql"), &[])
                    .await
                    .map_err(crate::db::DbError::from)?;
                let mut tables = Vec::new();
                for row in names {
                    let name: String = row.try_get("name").map_err(crate::db::DbError::from)?;
                    // The name comes from the catalog; quoted all the same. The tenant filter is
                    // explicit beside row-level security, as in every statement.
                    let sql = format!(
                        "select (to_jsonb(t) - $2::text[])::text from app.\"{}\" t \
                         where tenant_id = $1",
                        name.replace('"', "\"\"")
                    );
                    let secrets: Vec<&str> = left_out
                        .iter()
                        .filter(|(table, _)| *table == name)
                        .map(|(_, column)| column.as_str())
                        .collect();
                    let rows = tx
                        .query(&sql, &[&scope.tenant_id(), &secrets])
                        .await
                        .map_err(crate::db::DbError::from)?;
                    let mut lines = Vec::new();
                    for r in &rows {
                        let line: String = r.try_get(0).map_err(crate::db::DbError::from)?;
                        lines.extend_from_slice(line.as_bytes());
                        lines.push(b'\n');
                    }
                    tables.push((name, lines, rows.len()));
                }
                Ok::<_, crate::db::DbError>((tables, left_out))
            }
        })
        .await
        .context("reading the brand's tables")?;

    let files = media
        .list(scope)
        .await
        .context("listing the brand's files")?;
    let mut archive = tar::Builder::new(out);
    let mut append = |path: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(chrono::Utc::now().timestamp().max(0) as u64);
        header.set_cksum();
        archive
            .append_data(&mut header, path, bytes)
            .with_context(|| format!("writing {path}"))
    };
    for (name, lines, _) in &tables {
        append(&format!("tables/{name}.jsonl"), lines)?;
    }
    for key in &files {
        let object = ObjectKey::stored(scope, key).with_context(|| format!("file {key}"))?;
        let bytes = media
            .get(scope, &object)
            .await
            .with_context(|| format!("reading file {key}"))?;
        append(&format!("files/{key}"), &bytes)?;
    }
    let report = ExportReport {
        tables: tables.iter().map(|(n, _, c)| (n.clone(), *c)).collect(),
        files,
        left_out,
    };
    let manifest = json!({
        "format": "brandhouse-brand-export/1",
        "brand": { "id": scope.tenant_id(), "slug": scope.slug() },
        "exported_at": chrono::Utc::now(),
        "tables": report.tables.iter().map(|(n, c)| json!({"name": n, "rows": c})).collect::<Vec<_>>(),
        "files": report.files,
        "left_out": report
            .left_out
            .iter()
            .map(|(t, c)| json!({"table": t, "column": c}))
            .collect::<Vec<_>>(),
    });
    append("manifest.json", &serde_json::to_vec_pretty(&manifest)?)?;
    archive.into_inner()?.flush()?;
    Ok(report)
}

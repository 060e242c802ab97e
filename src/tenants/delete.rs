//! `brandhouse brand delete`: removes one brand completely, for the company owner.
//!
//! What goes: every row of the brand in every table of schema `app` that has a brand column
//! (the brand-owned tables `brand export` reads, and the global tables that carry a brand:
//! domains, memberships, invitations, WhatsApp numbers, jobs, its audit entries), the staff
//! accounts that belong to this brand alone (with their sessions), the brand's row itself,
//! its products in the search index, and every object under its prefix in object storage.
//! What stays: the shared zones, other brands' rows, accounts that also work for another
//! brand (they lose the membership), and the owner.
//!
//! How:
//! * The rows go in **one transaction** on the administrative connection
//!   (`MIGRATION_DATABASE_URL`), which must be a role that row-level security does not filter
//!   (superuser or BYPASSRLS; checked first). The API role keeps exactly its grants and
//!   policies: it has no DELETE on ledgers such as stock movements or the audit trail, and
//!   nothing here needs it to. The brand's row is locked first (`FOR UPDATE`), so a write of
//!   the brand racing the deletion waits and then fails its foreign key check instead of
//!   leaving a row behind. Tables are emptied referencing-first, in the order of their
//!   foreign keys read from the catalog.
//! * The same transaction writes the **deletion record**: a global entry in the audit trail
//!   (`action = 'brand.deleted'`, no brand, the owner as actor, with the brand's id, slug and
//!   name, the rows removed per table, the staff accounts and the files). It outlives the
//!   brand and is append-only like the rest of the trail; the owner reads it through the
//!   analytics role.
//! * Then the index and the files. A failure there leaves the rows deleted and the record
//!   written; running the command again finds the record by slug and finishes (removing an
//!   object that is already gone is fine). The embedded index (`DATA_DIR`) is locked by a
//!   running server: the command then says so and leaves it (`index: None`); its entries are
//!   unreachable, since every search is filtered by a brand that no longer resolves, and a
//!   run while the API is stopped (or with `QDRANT_URL`) removes them.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use anyhow::{Context as _, bail};
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

use crate::{
    media::{MediaStore, store::ObjectKey},
    scope::{Actor, Tenant, TenantScope},
    search::VectorIndex,
};

/// The audit action of a deletion record.
pub const DELETED: &str = "brand.deleted";

/// The company owner ordering a deletion, proven by password.
#[derive(Debug, Clone)]
pub struct Owner {
    pub id: Uuid,
    pub email: String,
}

/// The brand a deletion is about.
#[derive(Debug, Clone)]
pub struct Doomed {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

/// What a deletion removes (a dry run) or removed.
#[derive(Debug, Clone)]
pub struct DeletionReport {
    pub brand: Doomed,
    /// Rows per table, in deletion order (referencing tables first).
    pub tables: Vec<(String, u64)>,
    /// Staff accounts that belonged to this brand alone.
    pub staff_accounts: u64,
    /// Objects under the brand's prefix.
    pub files: u64,
}

impl DeletionReport {
    /// Rows in all tables.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// What `brand delete` did.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing changed: what would go.
    DryRun(DeletionReport),
    /// The rows are gone (and the record written), then the index and the files.
    Deleted(DeletionReport),
    /// The brand's rows were already gone (an earlier run); its remaining files were removed.
    Finished { brand: Doomed, files: u64 },
}

/// Refuses a connection that row-level security filters: it would count and delete nothing.
pub async fn check_admin(client: &tokio_postgres::Client) -> anyhow::Result<()> {
    let row = client
        .query_one(include_str!("sql/delete_brand_admin.sql"), &[])
        .await
        .context("checking the administrative role")?;
    if !row.try_get::<_, bool>("sees_all")? {
        bail!(
            "MIGRATION_DATABASE_URL must log in as a superuser or a BYPASSRLS role: \
             row-level security hides the brand's rows from any other role"
        );
    }
    Ok(())
}

/// The active owner account `email` with `password`, or an error that says no more than
/// that (no hint which of the two was wrong).
pub async fn verify_owner(
    client: &tokio_postgres::Client,
    email: &str,
    password: SecretString,
) -> anyhow::Result<Owner> {
    let email = email.trim().to_lowercase();
    let row = client
        .query_opt(include_str!("sql/delete_brand_owner.sql"), &[&email])
        .await
        .context("reading the owner's account")?;
    let (id, hash) = match row {
        Some(row) => (
            Some(row.try_get::<_, Uuid>("id")?),
            Some(row.try_get::<_, String>("password_hash")?),
        ),
        None => (None, None),
    };
    let ok = crate::identity::password::verify(password, hash).await;
    match (ok, id) {
        (true, Some(id)) => Ok(Owner { id, email }),
        _ => bail!("not an active owner account with that password: {email}"),
    }
}

/// Deletes brand `slug` (or, with `dry_run`, says what that would remove). See the module.
pub async fn delete_brand(
    client: &mut tokio_postgres::Client,
    media: &MediaStore,
    index: Option<&dyn VectorIndex>,
    owner: &Owner,
    slug: &str,
    dry_run: bool,
) -> anyhow::Result<Outcome> {
    let found = client
        .query_opt(include_str!("sql/delete_brand_find.sql"), &[&slug])
        .await
        .context("finding the brand")?;
    let Some(row) = found else {
        return finish(client, media, index, slug, dry_run).await;
    };
    let brand = doomed(&row)?;
    let scope = scope_of(&brand);
    let files = media
        .list(&scope)
        .await
        .context("listing the brand's files")?;
    if dry_run {
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await?;
        let order = deletion_order(&tx).await?;
        let mut tables = Vec::with_capacity(order.len());
        for table in order {
            let sql = format!(
                "select count(*) from app.{} where tenant_id = $1",
                quoted(&table)
            );
            let n: i64 = tx.query_one(&sql, &[&brand.id]).await?.try_get(0)?;
            tables.push((table, n.unsigned_abs()));
        }
        let staff = tx
            .query(include_str!("sql/delete_brand_staff.sql"), &[&brand.id])
            .await?;
        return Ok(Outcome::DryRun(DeletionReport {
            brand,
            tables,
            staff_accounts: staff.len() as u64,
            files: files.len() as u64,
        }));
    }
    let report = delete_rows(client, owner, slug, files.len() as u64)
        .await
        .context("deleting the brand's rows (nothing was deleted)")?;
    remove_outside(media, index, &scope, &files).await?;
    Ok(Outcome::Deleted(report))
}

/// The one transaction that removes the brand's rows and writes the record.
async fn delete_rows(
    client: &mut tokio_postgres::Client,
    owner: &Owner,
    slug: &str,
    files: u64,
) -> anyhow::Result<DeletionReport> {
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(include_str!("sql/delete_brand_lock.sql"), &[&slug])
        .await?
        .with_context(|| format!("brand {slug:?} was deleted meanwhile"))?;
    let brand = doomed(&row)?;
    tx.execute(
        include_str!("sql/delete_brand_mark.sql"),
        &[&brand.id.to_string()],
    )
    .await?;
    let staff: Vec<Uuid> = tx
        .query(include_str!("sql/delete_brand_staff.sql"), &[&brand.id])
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    let mut tables = Vec::new();
    for table in deletion_order(&tx).await? {
        // Names from the catalog, quoted all the same; the brand is a parameter.
        let sql = format!("delete from app.{} where tenant_id = $1", quoted(&table));
        let n = tx
            .execute(&sql, &[&brand.id])
            .await
            .with_context(|| format!("deleting from {table}"))?;
        tables.push((table, n));
    }
    let staff_accounts = tx
        .execute(include_str!("sql/delete_brand_staff_users.sql"), &[&staff])
        .await?;
    let gone = tx
        .execute(include_str!("sql/delete_brand_tenant.sql"), &[&brand.id])
        .await?;
    tables.push(("tenants".to_owned(), gone));
    let report = DeletionReport {
        brand,
        tables,
        staff_accounts,
        files,
    };
    tx.execute(
        include_str!("sql/delete_brand_actor.sql"),
        &[&owner.id.to_string()],
    )
    .await?;
    tx.execute(
        include_str!("sql/delete_brand_record.sql"),
        &[&DELETED, &report.brand.slug, &record_details(&report)],
    )
    .await?;
    tx.commit().await.context("committing the deletion")?;
    Ok(report)
}

/// The record's details: counts and the brand's identity, no personal data.
fn record_details(report: &DeletionReport) -> serde_json::Value {
    let tables: BTreeMap<&str, u64> = report
        .tables
        .iter()
        .map(|(t, n)| (t.as_str(), *n))
        .collect();
    json!({
        "brand_id": report.brand.id,
        "slug": report.brand.slug,
        "name": report.brand.name,
        "rows": report.rows(),
        "tables": tables,
        "staff_accounts": report.staff_accounts,
        "files": report.files,
    })
}

/// A re-run for a brand whose rows are already gone: its record names it; the index and any
/// files left under its prefix are removed.
async fn finish(
    client: &tokio_postgres::Client,
    media: &MediaStore,
    index: Option<&dyn VectorIndex>,
    slug: &str,
    dry_run: bool,
) -> anyhow::Result<Outcome> {
    let record = client
        .query_opt(include_str!("sql/delete_brand_records.sql"), &[&slug])
        .await
        .context("reading deletion records")?;
    let Some(record) = record else {
        bail!("no brand {slug:?} (and no deletion of one to finish)");
    };
    let details: serde_json::Value = record.try_get("details")?;
    let brand = Doomed {
        id: details["brand_id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .context("the deletion record has no brand id")?,
        slug: slug.to_owned(),
        name: details["name"].as_str().unwrap_or_default().to_owned(),
    };
    let scope = scope_of(&brand);
    let files = media
        .list(&scope)
        .await
        .context("listing the brand's files")?;
    if !dry_run {
        remove_outside(media, index, &scope, &files).await?;
    }
    Ok(Outcome::Finished {
        brand,
        files: files.len() as u64,
    })
}

/// The brand's products in the index, then its objects (listed before the rows went).
async fn remove_outside(
    media: &MediaStore,
    index: Option<&dyn VectorIndex>,
    scope: &TenantScope,
    files: &[String],
) -> anyhow::Result<()> {
    const AGAIN: &str = "run the same command again to finish";
    if let Some(index) = index {
        index
            .clear(scope)
            .await
            .with_context(|| format!("removing the brand's products from the index; {AGAIN}"))?;
    }
    // Listed again too: an import upload that finished between the listing and the commit.
    let mut keys: BTreeSet<String> = files.iter().cloned().collect();
    keys.extend(
        media
            .list(scope)
            .await
            .with_context(|| format!("listing the brand's files; {AGAIN}"))?,
    );
    for key in &keys {
        let object = ObjectKey::stored(scope, key).with_context(|| format!("file {key}"))?;
        media
            .delete(scope, &object)
            .await
            .with_context(|| format!("removing file {key}; {AGAIN}"))?;
    }
    Ok(())
}

/// Every table with brand rows, referencing tables before the tables they reference.
async fn deletion_order(tx: &tokio_postgres::Transaction<'_>) -> anyhow::Result<Vec<String>> {
    let tables: Vec<String> = tx
        .query(include_str!("sql/delete_brand_tables.sql"), &[])
        .await?
        .iter()
        .map(|r| r.try_get("name"))
        .collect::<Result<_, _>>()?;
    let mut edges = Vec::new();
    for r in tx
        .query(include_str!("sql/delete_brand_references.sql"), &[])
        .await?
    {
        edges.push((
            r.try_get::<_, String>("referencing")?,
            r.try_get::<_, String>("referenced")?,
        ));
    }
    order_by_references(tables, &edges)
}

/// Orders `tables` so that no table comes after a table that references it (self-references
/// aside); fails on a cycle.
fn order_by_references(
    tables: Vec<String>,
    edges: &[(String, String)],
) -> anyhow::Result<Vec<String>> {
    let mut left: BTreeSet<String> = tables.into_iter().collect();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let next = left
            .iter()
            .find(|t| {
                !edges
                    .iter()
                    .any(|(from, to)| to == *t && from != *t && left.contains(from))
            })
            .cloned();
        let Some(next) = next else {
            bail!("the foreign keys between {left:?} form a cycle");
        };
        left.remove(&next);
        order.push(next);
    }
    Ok(order)
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn doomed(row: &tokio_postgres::Row) -> anyhow::Result<Doomed> {
    Ok(Doomed {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
    })
}

/// A scope for object storage and the index only (their keys need the id and slug): the
/// brand is being removed, so it is built from the row read here, not resolved.
fn scope_of(brand: &Doomed) -> TenantScope {
    TenantScope::new(
        Arc::new(Tenant {
            id: brand.id,
            slug: brand.slug.clone(),
            name: brand.name.clone(),
            sku_prefix: String::new(),
            currency: String::new(),
            is_active: false,
        }),
        Actor::System,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referencing_tables_are_emptied_first() {
        let tables = [
            "holds",
            "orders",
            "order_lines",
            "stock",
            "variants",
            "categories",
        ]
        .map(String::from)
        .to_vec();
        let edges: Vec<(String, String)> = [
            ("holds", "orders"),
            ("holds", "order_lines"),
            ("holds", "stock"),
            ("order_lines", "orders"),
            ("order_lines", "variants"),
            ("stock", "variants"),
            ("stock", "zones"),
            ("categories", "categories"),
            ("orders", "tenants"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        let order = order_by_references(tables, &edges).unwrap();
        let at = |t: &str| order.iter().position(|x| x == t).unwrap();
        for (from, to) in &edges {
            if order.contains(from) && order.contains(to) && from != to {
                assert!(at(from) < at(to), "{from} before {to}: {order:?}");
            }
        }
        assert_eq!(order.len(), 6);
        let cycle = [("a", "b"), ("b", "a")]
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect::<Vec<_>>();
        assert!(order_by_references(vec!["a".into(), "b".into()], &cycle).is_err());
    }
}

//! Identity SQL. Sessions, accounts and memberships are global tables; membership writes name
//! the brand through `app.current_tenant()` inside the brand's transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Role, Staff};
use crate::db::{DbError, Tx};

pub struct LoginCandidate {
    pub id: Uuid,
    pub password_hash: String,
}

pub async fn login_candidate(tx: &Tx<'_>, email: &str) -> Result<Option<LoginCandidate>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/login_candidate.sql"))
        .await?;
    tx.query_opt(&stmt, &[&email])
        .await?
        .map(|r| {
            Ok(LoginCandidate {
                id: r.try_get("id")?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
}

/// A login attempt as counted: its number in the email's current window, and the seconds the
/// email stays locked (`Some`: the attempt was refused and not counted).
pub struct Attempt {
    pub number: i32,
    pub locked_for_secs: Option<i64>,
}

/// Counts a login attempt before the password is checked (`sql/throttle_attempt.sql`).
pub async fn throttle_attempt(
    tx: &Tx<'_>,
    email: &str,
    window_secs: f64,
) -> Result<Attempt, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/throttle_attempt.sql"))
        .await?;
    let row = tx.query_one(&stmt, &[&email, &window_secs]).await?;
    Ok(Attempt {
        number: row.try_get("failures")?,
        locked_for_secs: row.try_get("locked_for_secs")?,
    })
}

pub async fn throttle_lock(tx: &Tx<'_>, email: &str, lock_secs: f64) -> Result<(), DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/throttle_lock.sql"))
        .await?;
    tx.execute(&stmt, &[&email, &lock_secs]).await?;
    Ok(())
}

/// Deletes throttle rows whose window is over and that lock nothing; returns how many.
pub async fn throttle_purge(tx: &Tx<'_>, window_secs: f64) -> Result<u64, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/throttle_purge.sql"))
        .await?;
    Ok(tx.execute(&stmt, &[&window_secs]).await?)
}

pub async fn throttle_clear(tx: &Tx<'_>, email: &str) -> Result<(), DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/throttle_clear.sql"))
        .await?;
    tx.execute(&stmt, &[&email]).await?;
    Ok(())
}

pub async fn insert_session(
    tx: &Tx<'_>,
    token_hash: &[u8],
    user_id: Uuid,
    ttl_secs: f64,
) -> Result<DateTime<Utc>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/insert_session.sql"))
        .await?;
    Ok(tx
        .query_one(&stmt, &[&token_hash, &user_id, &ttl_secs])
        .await?
        .try_get(0)?)
}

pub async fn session_staff(tx: &Tx<'_>, token_hash: &[u8]) -> Result<Option<Staff>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/session_staff.sql"))
        .await?;
    let Some(r) = tx.query_opt(&stmt, &[&token_hash]).await? else {
        return Ok(None);
    };
    let tenant_ids: Vec<Uuid> = r.try_get("tenant_ids")?;
    let roles: Vec<Role> = r.try_get("roles")?;
    Ok(Some(Staff {
        user_id: r.try_get("id")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        is_owner: r.try_get("is_owner")?,
        expires_at: r.try_get("expires_at")?,
        memberships: tenant_ids
            .into_iter()
            .zip(roles)
            // A membership is never the owner (the table's check); never trust it to be.
            .filter(|(_, role)| *role != Role::Owner)
            .collect(),
        token_hash: token_hash.to_vec(),
    }))
}

pub async fn revoke_session(tx: &Tx<'_>, token_hash: &[u8]) -> Result<u64, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/revoke_session.sql"))
        .await?;
    Ok(tx.execute(&stmt, &[&token_hash]).await?)
}

pub struct BrandRole {
    pub slug: String,
    pub name: String,
    pub is_active: bool,
    pub role: Role,
}

pub async fn brands_of_staff(
    tx: &Tx<'_>,
    user_id: Uuid,
    is_owner: bool,
) -> Result<Vec<BrandRole>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/brands_of_staff.sql"))
        .await?;
    tx.query(&stmt, &[&user_id, &is_owner])
        .await?
        .iter()
        .map(|r| {
            Ok(BrandRole {
                slug: r.try_get("slug")?,
                name: r.try_get("name")?,
                is_active: r.try_get("is_active")?,
                role: r.try_get("role")?,
            })
        })
        .collect()
}

pub struct UserRow {
    pub id: Uuid,
    pub display_name: String,
    pub is_owner: bool,
}

pub async fn user_by_email(tx: &Tx<'_>, email: &str) -> Result<Option<UserRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/user_by_email.sql"))
        .await?;
    tx.query_opt(&stmt, &[&email])
        .await?
        .map(|r| {
            Ok(UserRow {
                id: r.try_get("id")?,
                display_name: r.try_get("display_name")?,
                is_owner: r.try_get("is_owner")?,
            })
        })
        .transpose()
}

pub async fn insert_user(
    tx: &Tx<'_>,
    email: &str,
    display_name: &str,
    password_hash: &str,
    is_owner: bool,
) -> Result<Uuid, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/insert_user.sql"))
        .await?;
    Ok(tx
        .query_one(&stmt, &[&email, &display_name, &password_hash, &is_owner])
        .await?
        .try_get(0)?)
}

pub struct MemberRow {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub since: DateTime<Utc>,
    pub disabled: bool,
}

pub async fn list_brand_staff(tx: &Tx<'_>) -> Result<Vec<MemberRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/list_brand_staff.sql"))
        .await?;
    tx.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(MemberRow {
                user_id: r.try_get("id")?,
                email: r.try_get("email")?,
                display_name: r.try_get("display_name")?,
                role: r.try_get("role")?,
                since: r.try_get("created_at")?,
                disabled: r.try_get("disabled")?,
            })
        })
        .collect()
}

/// Adds or changes a membership in the transaction's brand; true when it was added.
pub async fn upsert_membership(tx: &Tx<'_>, user_id: Uuid, role: Role) -> Result<bool, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/upsert_membership.sql"))
        .await?;
    Ok(tx.query_one(&stmt, &[&user_id, &role]).await?.try_get(0)?)
}

pub async fn update_membership(tx: &Tx<'_>, user_id: Uuid, role: Role) -> Result<u64, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/update_membership.sql"))
        .await?;
    Ok(tx.execute(&stmt, &[&user_id, &role]).await?)
}

pub async fn delete_membership(tx: &Tx<'_>, user_id: Uuid) -> Result<u64, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/delete_membership.sql"))
        .await?;
    Ok(tx.execute(&stmt, &[&user_id]).await?)
}

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

/// What a login attempt is counted against: the email it names, or the client address it
/// comes from (counted first; `app.login_throttle_clients`).
#[derive(Clone, Copy)]
pub enum Counter<'a> {
    Email(&'a str),
    Client(&'a str),
}

impl Counter<'_> {
    fn key(&self) -> &str {
        match self {
            Counter::Email(key) | Counter::Client(key) => key,
        }
    }
}

/// Counts a login attempt before the password is checked (`sql/throttle_attempt.sql`,
/// `sql/throttle_client_attempt.sql`).
pub async fn throttle_attempt(
    tx: &Tx<'_>,
    counter: Counter<'_>,
    window_secs: f64,
) -> Result<Attempt, DbError> {
    let sql = match counter {
        Counter::Email(_) => include_str!("sql/throttle_attempt.sql"),
        Counter::Client(_) => include_str!("sql/throttle_client_attempt.sql"),
    };
    let stmt = tx.prepare_cached(sql).await?;
    let row = tx.query_one(&stmt, &[&counter.key(), &window_secs]).await?;
    Ok(Attempt {
        number: row.try_get("failures")?,
        locked_for_secs: row.try_get("locked_for_secs")?,
    })
}

pub async fn throttle_lock(
    tx: &Tx<'_>,
    counter: Counter<'_>,
    lock_secs: f64,
) -> Result<(), DbError> {
    let sql = match counter {
        Counter::Email(_) => include_str!("sql/throttle_lock.sql"),
        Counter::Client(_) => include_str!("sql/throttle_client_lock.sql"),
    };
    let stmt = tx.prepare_cached(sql).await?;
    tx.execute(&stmt, &[&counter.key(), &lock_secs]).await?;
    Ok(())
}

/// Gives a client address back the attempt it was charged (`sql/throttle_client_refund.sql`).
pub async fn throttle_client_refund(tx: &Tx<'_>, client: &str) -> Result<(), DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/throttle_client_refund.sql"))
        .await?;
    tx.execute(&stmt, &[&client]).await?;
    Ok(())
}

/// Deletes throttle rows (emails and clients) whose window is over and that lock nothing;
/// returns how many.
pub async fn throttle_purge(tx: &Tx<'_>, window_secs: f64) -> Result<u64, DbError> {
    let mut removed = 0;
    for sql in [
        include_str!("sql/throttle_purge.sql"),
        include_str!("sql/throttle_client_purge.sql"),
    ] {
        let stmt = tx.prepare_cached(sql).await?;
        removed += tx.execute(&stmt, &[&window_secs]).await?;
    }
    Ok(removed)
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
) -> Result<Uuid, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/insert_user.sql"))
        .await?;
    Ok(tx
        .query_one(&stmt, &[&email, &display_name, &password_hash])
        .await?
        .try_get(0)?)
}

/// Creates the company's owner account; refused by the database once an owner exists.
pub async fn create_first_owner(
    tx: &Tx<'_>,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<Uuid, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/create_first_owner.sql"))
        .await?;
    Ok(tx
        .query_one(&stmt, &[&email, &display_name, &password_hash])
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

/// Whether `email` is already a member of the transaction's brand.
pub async fn is_member_email(tx: &Tx<'_>, email: &str) -> Result<bool, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/is_member_email.sql"))
        .await?;
    Ok(tx.query_one(&stmt, &[&email]).await?.try_get(0)?)
}

/// Revokes the open invitations of `email` to the transaction's brand; returns how many.
pub async fn revoke_open_invitations(tx: &Tx<'_>, email: &str) -> Result<u64, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/revoke_open_invitations.sql"))
        .await?;
    Ok(tx.execute(&stmt, &[tx.tenant(), &email]).await?)
}

/// An invitation as stored (the token is not: only its hash).
pub struct InvitationRow {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new invitation to the transaction's brand.
pub struct NewInvitation<'a> {
    pub email: &'a str,
    pub role: Role,
    pub token_hash: &'a [u8],
    pub invited_by: Option<Uuid>,
    pub ttl_secs: f64,
}

pub async fn insert_invitation(
    tx: &Tx<'_>,
    new: &NewInvitation<'_>,
) -> Result<InvitationRow, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/insert_invitation.sql"))
        .await?;
    let row = tx
        .query_one(
            &stmt,
            &[
                tx.tenant(),
                &new.email,
                &new.role,
                &new.token_hash,
                &new.invited_by,
                &new.ttl_secs,
            ],
        )
        .await?;
    Ok(InvitationRow {
        id: row.try_get("id")?,
        email: new.email.to_owned(),
        role: new.role,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        accepted_at: None,
        revoked_at: None,
    })
}

pub async fn list_invitations(tx: &Tx<'_>, limit: i64) -> Result<Vec<InvitationRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/list_invitations.sql"))
        .await?;
    tx.query(&stmt, &[tx.tenant(), &limit])
        .await?
        .iter()
        .map(|r| {
            Ok(InvitationRow {
                id: r.try_get("id")?,
                email: r.try_get("email")?,
                role: r.try_get("role")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
                accepted_at: r.try_get("accepted_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })
        })
        .collect()
}

/// Revokes an open invitation of the transaction's brand; 0 when there is none.
pub async fn revoke_invitation(tx: &Tx<'_>, id: Uuid) -> Result<u64, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/revoke_invitation.sql"))
        .await?;
    Ok(tx.execute(&stmt, &[tx.tenant(), &id]).await?)
}

/// Whether the token hashed `token_hash` names an open invitation of the transaction's brand.
pub async fn open_invitation(tx: &Tx<'_>, token_hash: &[u8]) -> Result<bool, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/open_invitation.sql"))
        .await?;
    Ok(tx
        .query_one(&stmt, &[tx.tenant(), &token_hash])
        .await?
        .try_get(0)?)
}

/// An invitation just used.
pub struct ClaimedInvitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
}

/// Uses an open invitation of the transaction's brand by its token's hash (`sql/claim_invitation.sql`);
/// with `email`, only an invitation for that email.
pub async fn claim_invitation(
    tx: &Tx<'_>,
    token_hash: &[u8],
    email: Option<&str>,
) -> Result<Option<ClaimedInvitation>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/claim_invitation.sql"))
        .await?;
    tx.query_opt(&stmt, &[tx.tenant(), &token_hash, &email])
        .await?
        .map(|r| {
            Ok(ClaimedInvitation {
                id: r.try_get("id")?,
                email: r.try_get("email")?,
                role: r.try_get("role")?,
            })
        })
        .transpose()
}

pub async fn set_invitation_acceptor(tx: &Tx<'_>, id: Uuid, user_id: Uuid) -> Result<(), DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/set_invitation_acceptor.sql"))
        .await?;
    tx.execute(&stmt, &[tx.tenant(), &id, &user_id]).await?;
    Ok(())
}

/// A live session of a staff member.
pub struct SessionRow {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The session of the request that asks.
    pub current: bool,
}

pub async fn list_sessions(
    tx: &Tx<'_>,
    user_id: Uuid,
    current_hash: &[u8],
) -> Result<Vec<SessionRow>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/list_sessions.sql"))
        .await?;
    tx.query(&stmt, &[&user_id, &current_hash])
        .await?
        .iter()
        .map(|r| {
            Ok(SessionRow {
                id: r.try_get("id")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
                current: r.try_get("current")?,
            })
        })
        .collect()
}

/// Ends one of `user_id`'s live sessions by id; 0 when it is not theirs or not live.
pub async fn revoke_session_by_id(tx: &Tx<'_>, id: Uuid, user_id: Uuid) -> Result<u64, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/revoke_session_by_id.sql"))
        .await?;
    Ok(tx.execute(&stmt, &[&id, &user_id]).await?)
}

/// Ends every live session of `user_id` but the one hashed `keep`; returns how many.
pub async fn revoke_sessions_of_user(
    tx: &Tx<'_>,
    user_id: Uuid,
    keep: Option<&[u8]>,
) -> Result<u64, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/revoke_sessions_of_user.sql"))
        .await?;
    Ok(tx.execute(&stmt, &[&user_id, &keep]).await?)
}

/// The password hash of a live account.
pub async fn password_of(tx: &Tx<'_>, user_id: Uuid) -> Result<Option<String>, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/password_of.sql"))
        .await?;
    tx.query_opt(&stmt, &[&user_id])
        .await?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(Into::into)
}

pub async fn update_password(tx: &Tx<'_>, user_id: Uuid, hash: &str) -> Result<u64, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/update_password.sql"))
        .await?;
    Ok(tx.execute(&stmt, &[&user_id, &hash]).await?)
}

/// Disables or enables a staff account (never the owner's); false when there is no such one.
pub async fn set_disabled(tx: &Tx<'_>, user_id: Uuid, disabled: bool) -> Result<bool, DbError> {
    let stmt = tx
        .prepare_cached(include_str!("sql/set_disabled.sql"))
        .await?;
    Ok(tx.query_opt(&stmt, &[&user_id, &disabled]).await?.is_some())
}

//! Identity rules: login with throttling, token checks, logout, the caller's brands, and staff
//! management inside a brand.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

pub use crate::config::AuthSettings;

use super::{Role, Staff, password, repo, repo::Counter, token};
use crate::{
    audit,
    db::{Db, DbError},
    error::{ApiError, ConstraintTable, FieldError, FieldErrors, Violation, violated},
    scope::{Actor, TenantScope},
    types::{DisplayName, Email},
};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown email, wrong password and disabled account are one answer.
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("too many failed logins for this email")]
    Throttled { retry_after_secs: u64 },
    /// Every password check is busy: the login was not tried (nor counted).
    #[error("too many logins at once")]
    Busy,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidCredentials | AuthError::InvalidToken => {
                ApiError::unauthorized(e.to_string())
            }
            AuthError::Throttled { retry_after_secs } => {
                ApiError::too_many_requests(retry_after_secs)
            }
            AuthError::Busy => ApiError::too_many_requests(1),
            AuthError::Db(db) => db.into(),
            AuthError::Internal(e) => ApiError::internal(e),
        }
    }
}

/// The canonical form of an email: trimmed and lowercased (emails are unique
/// case-insensitively). For lookups that must also accept malformed input.
pub fn normalise_email(email: &str) -> String {
    Email::normalise(email)
}

/// A successful login.
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user_id: Uuid,
}

/// Checks credentials and issues a token. Unknown email and wrong password take the same
/// path (a full argon2 verification each) and give the same error. Attempts are counted per
/// client address (`client`) and per email before the password is checked (a
/// success clears the email's count and gives the client its attempt back); see
/// `count_attempt` for the locks. At most `max_concurrent_hashes` logins check a password at
/// once (`gate`).
pub async fn login(
    db: &Db,
    settings: &AuthSettings,
    gate: &password::HashGate,
    email: &str,
    password: SecretString,
    client: &str,
) -> Result<Session, AuthError> {
    // A turn to check a password first: a flood is refused before it is counted or queued.
    let turn = gate.enter().await.ok_or(AuthError::Busy)?;
    // PostgreSQL cannot compare a NUL: the replacement character stands for it, so such an
    // email takes the unknown-email path (and its throttle) instead of failing the query.
    let email = normalise_email(email).replace('\0', "\u{FFFD}");
    let candidate = count_attempt(db, settings, &email, Some(client)).await?;

    // No connection is held while hashing.
    let user_id = candidate.as_ref().map(|c| c.id);
    let ok = password::verify_in_turn(turn, password, candidate.map(|c| c.password_hash)).await;

    match (ok, user_id) {
        (true, Some(user_id)) => {
            let issued = token::issue();
            let expires_at = db
                .global_tx(&Actor::System, async |tx| {
                    repo::throttle_clear(tx, &email).await?;
                    repo::throttle_client_refund(tx, client).await?;
                    repo::insert_session(
                        tx,
                        &issued.hash,
                        user_id,
                        settings.token_ttl.as_secs_f64(),
                    )
                    .await
                })
                .await?;
            Ok(Session {
                token: issued.token,
                expires_at,
                user_id,
            })
        }
        // Already counted.
        _ => Err(AuthError::InvalidCredentials),
    }
}

/// Counts a password attempt before the password is checked, in one transaction with the
/// locks it may set, so concurrent guesses cannot all pass the limits; returns the account to
/// check against (none for an unknown email). The client address (when known) is counted
/// first, and a client that reaches `max_failures_per_client` is locked for the window: one
/// address is locked before any account it guesses at. Then the email: the attempt that
/// reaches `max_failures` locks it for the short `account_lock`, which only guesses spread over
/// many addresses can reach. A locked client or email is refused and not counted (a locked
/// email gives the client its attempt back: nothing was checked).
pub(super) async fn count_attempt(
    db: &Db,
    settings: &AuthSettings,
    email: &str,
    client: Option<&str>,
) -> Result<Option<repo::LoginCandidate>, AuthError> {
    let window = settings.throttle_window.as_secs_f64();
    let limit = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let (locked_for_secs, candidate) = db
        .global_tx(&Actor::System, async |tx| {
            if let Some(client) = client {
                let counter = Counter::Client(client);
                let attempt = repo::throttle_attempt(tx, counter, window).await?;
                if attempt.locked_for_secs.is_some() {
                    return Ok::<_, DbError>((attempt.locked_for_secs, None));
                }
                if attempt.number >= limit(settings.max_failures_per_client) {
                    repo::throttle_lock(tx, counter, window).await?;
                }
            }
            let counter = Counter::Email(email);
            let attempt = repo::throttle_attempt(tx, counter, window).await?;
            if attempt.locked_for_secs.is_some() {
                if let Some(client) = client {
                    repo::throttle_client_refund(tx, client).await?;
                }
                return Ok((attempt.locked_for_secs, None));
            }
            if attempt.number >= limit(settings.max_failures) {
                repo::throttle_lock(tx, counter, settings.account_lock.as_secs_f64()).await?;
            }
            Ok((None, repo::login_candidate(tx, email).await?))
        })
        .await?;
    match locked_for_secs {
        Some(secs) => Err(AuthError::Throttled {
            retry_after_secs: secs.max(1).unsigned_abs(),
        }),
        None => Ok(candidate),
    }
}

/// Removes login-throttle rows that lock nothing and whose window is over (run hourly by the
/// worker); returns how many.
pub async fn purge_login_throttle(db: &Db, settings: &AuthSettings) -> Result<u64, DbError> {
    let window = settings.throttle_window.as_secs_f64();
    db.global_tx(&Actor::System, async |tx| {
        repo::throttle_purge(tx, window).await
    })
    .await
}

/// The staff member behind a token, with all memberships.
pub async fn authenticate(db: &Db, token: &str) -> Result<Staff, AuthError> {
    let hash = token::hash(token);
    db.global_tx(&Actor::System, async |tx| {
        repo::session_staff(tx, &hash).await
    })
    .await?
    .ok_or(AuthError::InvalidToken)
}

/// The staff member of a live session named by its key hash (a stream ticket carries it).
pub async fn authenticate_hash(db: &Db, token_hash: &[u8]) -> Result<Staff, AuthError> {
    db.global_tx(&Actor::System, async |tx| {
        repo::session_staff(tx, token_hash).await
    })
    .await?
    .ok_or(AuthError::InvalidToken)
}

/// Revokes the caller's token.
pub async fn logout(db: &Db, staff: &Staff) -> Result<(), AuthError> {
    db.global_tx(&Actor::System, async |tx| {
        repo::revoke_session(tx, &staff.token_hash).await
    })
    .await?;
    Ok(())
}

/// The brands the caller works in, with the role in each.
pub async fn brands_of(db: &Db, staff: &Staff) -> Result<Vec<repo::BrandRole>, DbError> {
    db.global_tx(&Actor::System, async |tx| {
        repo::brands_of_staff(tx, staff.user_id, staff.is_owner).await
    })
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("invalid staff member")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StaffError> for ApiError {
    fn from(e: StaffError) -> Self {
        match e {
            StaffError::Invalid(errors) => ApiError::invalid(errors),
            StaffError::NotFound(what) => ApiError::not_found(what),
            StaffError::Conflict(what) => ApiError::conflict(what),
            StaffError::Db(db) => db.into(),
            StaffError::Internal(e) => ApiError::internal(e),
        }
    }
}

/// A membership in the scope's brand.
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub since: DateTime<Utc>,
    pub disabled: bool,
}

/// Staff account constraints whose violation is the client's doing.
const CONSTRAINTS: &ConstraintTable = &[
    (
        "staff_users_email_key",
        Violation::Conflict("an account with this email was created concurrently"),
    ),
    (
        "staff_users_one_owner",
        Violation::Conflict("the company already has an owner"),
    ),
];

pub(super) fn unique_email(e: DbError) -> StaffError {
    match violated(&e, CONSTRAINTS) {
        Some(Violation::Conflict(what) | Violation::Invalid { message: what, .. }) => {
            StaffError::Conflict(what)
        }
        None => StaffError::Db(e),
    }
}

pub async fn list_members(db: &Db, scope: &TenantScope) -> Result<Vec<Member>, StaffError> {
    let rows = db
        .tenant_tx(scope, async |tx| repo::list_brand_staff(tx).await)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Member {
            user_id: r.user_id,
            email: r.email,
            display_name: r.display_name,
            role: r.role,
            since: r.since,
            disabled: r.disabled,
        })
        .collect())
}

pub async fn change_role(
    db: &Db,
    scope: &TenantScope,
    user_id: Uuid,
    role: Role,
) -> Result<(), StaffError> {
    if role == Role::Owner {
        return Err(StaffError::Invalid(vec![FieldError::new(
            "role",
            "one of brand_manager, warehouse, support",
        )]));
    }
    db.tenant_tx(scope, async |tx| {
        if repo::update_membership(tx, user_id, role).await? == 0 {
            return Err(StaffError::NotFound("no such staff member in this brand"));
        }
        audit::record(
            tx,
            "staff.role_change",
            &user_id.to_string(),
            serde_json::json!({ "role": role.as_str() }),
        )
        .await?;
        Ok(())
    })
    .await
}

pub async fn remove_member(db: &Db, scope: &TenantScope, user_id: Uuid) -> Result<(), StaffError> {
    db.tenant_tx(scope, async |tx| {
        if repo::delete_membership(tx, user_id).await? == 0 {
            return Err(StaffError::NotFound("no such staff member in this brand"));
        }
        audit::record(
            tx,
            "staff.remove",
            &user_id.to_string(),
            serde_json::json!({}),
        )
        .await?;
        Ok(())
    })
    .await
}

/// Creates the company owner's account (CLI bootstrap). Fails if the email exists.
pub async fn create_owner(
    db: &Db,
    email: &str,
    display_name: &str,
    password: SecretString,
) -> Result<Uuid, StaffError> {
    let mut errors = Vec::new();
    let email = errors.check("email", Email::parse(email));
    let display_name = errors.check("display_name", DisplayName::parse(display_name));
    if let Some(problem) = password::check_strength(password.expose_secret()) {
        errors.push(FieldError::new("password", problem));
    }
    let (true, Some(email), Some(display_name)) = (errors.is_empty(), email, display_name) else {
        return Err(StaffError::Invalid(errors));
    };
    let email = email.into_string();
    let hash = password::hash(password).await?;
    db.global_tx(&Actor::System, async |tx| {
        if repo::user_by_email(tx, &email).await?.is_some() {
            return Err(StaffError::Conflict("an account with this email exists"));
        }
        let id = repo::create_first_owner(tx, &email, display_name.as_str(), &hash)
            .await
            .map_err(unique_email)?;
        audit::record(
            tx,
            "staff.owner_create",
            &id.to_string(),
            serde_json::json!({}),
        )
        .await?;
        Ok(id)
    })
    .await
}

/// Creates a staff account and a membership in `scope`'s brand, for seeding and tests (the
/// operator's path; staff join through invitations). An existing account joins only when
/// `password` is its password: a password given is never silently dropped. Returns the user id.
pub async fn ensure_member(
    db: &Db,
    scope: &TenantScope,
    email: &str,
    display_name: &str,
    role: Role,
    password: SecretString,
) -> Result<Uuid, StaffError> {
    let mut errors = Vec::new();
    let email = errors.check("email", Email::parse(email));
    let display_name = errors.check("display_name", DisplayName::parse(display_name));
    if role == Role::Owner {
        errors.push(FieldError::new(
            "role",
            "one of brand_manager, warehouse, support",
        ));
    }
    if let Some(problem) = password::check_strength(password.expose_secret()) {
        errors.push(FieldError::new("password", problem));
    }
    let (true, Some(email), Some(display_name)) = (errors.is_empty(), email, display_name) else {
        return Err(StaffError::Invalid(errors));
    };
    let email = email.into_string();
    let existing = db
        .tenant_tx(scope, async |tx| repo::login_candidate(tx, &email).await)
        .await?;
    let hash = match existing {
        Some(account) => {
            if !password::verify(password, Some(account.password_hash)).await {
                return Err(StaffError::Conflict(
                    "an account with this email exists and the password given is not its password",
                ));
            }
            None
        }
        None => Some(password::hash(password).await?),
    };
    db.tenant_tx(scope, async |tx| {
        let user_id = match (&hash, repo::user_by_email(tx, &email).await?) {
            (_, Some(user)) if user.is_owner => {
                return Err(StaffError::Conflict(
                    "this is the company owner, who already acts in every brand",
                ));
            }
            (_, Some(user)) => user.id,
            (Some(hash), None) => {
                let id = repo::insert_user(tx, &email, display_name.as_str(), hash)
                    .await
                    .map_err(unique_email)?;
                audit::record(
                    tx,
                    "staff.account_create",
                    &id.to_string(),
                    serde_json::json!({}),
                )
                .await?;
                id
            }
            (None, None) => {
                return Err(StaffError::Conflict(
                    "the account changed while it was being added",
                ));
            }
        };
        let created = repo::upsert_membership(tx, user_id, role).await?;
        audit::record(
            tx,
            if created {
                "staff.add"
            } else {
                "staff.role_change"
            },
            &user_id.to_string(),
            serde_json::json!({ "role": role.as_str() }),
        )
        .await?;
        Ok(user_id)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(normalise_email("  Ana@Fiber-X.COM "), "ana@fiber-x.com");
        assert!(Email::parse("ana@fiber-x.com").is_ok());
        for bad in ["", "ana", "ana@", "@x.com", "a@b", "a b@c.de", "a@.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}

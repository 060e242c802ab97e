//! A staff account's lifecycle outside any brand: its holder changes the password and sees and
//! ends their sessions; the company owner disables and re-enables accounts. Every change is in
//! the audit trail.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret as _, SecretString};
use uuid::Uuid;

use super::{
    Staff, password, repo,
    service::{AuthError, AuthSettings, StaffError, count_attempt},
};
use crate::{
    audit,
    db::{Db, DbError},
    error::{ApiError, FieldError},
    scope::Actor,
};

/// Why a password change was refused.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("invalid password change")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Invalid(errors) => ApiError::invalid(errors),
            PasswordError::Auth(e) => e.into(),
        }
    }
}

impl From<DbError> for PasswordError {
    fn from(e: DbError) -> Self {
        Self::Auth(e.into())
    }
}

/// Changes the caller's password after checking the current one, and ends every other session
/// of the account (a thief's token dies with the old password). Wrong current passwords count
/// against the login throttle of the account's email. Returns how many sessions ended.
pub async fn change_password(
    db: &Db,
    settings: &AuthSettings,
    gate: &password::HashGate,
    staff: &Staff,
    current: SecretString,
    new: SecretString,
) -> Result<u64, PasswordError> {
    if let Some(problem) = password::check_strength(new.expose_secret()) {
        return Err(PasswordError::Invalid(vec![FieldError::new(
            "new_password",
            problem,
        )]));
    }
    let turn = gate.enter().await.ok_or(AuthError::Busy)?;
    count_attempt(db, settings, &staff.email, None).await?;
    let stored = db
        .global_tx(&Actor::System, async |tx| {
            repo::password_of(tx, staff.user_id).await
        })
        .await?;
    if !password::verify_in_turn(turn, current, stored).await {
        return Err(PasswordError::Invalid(vec![FieldError::new(
            "current_password",
            "is not this account's current password",
        )]));
    }
    let hash = password::hash(new).await.map_err(AuthError::Internal)?;
    let actor = Actor::Account {
        user_id: staff.user_id,
    };
    let ended = db
        .global_tx(&actor, async |tx| {
            repo::throttle_clear(tx, &staff.email).await?;
            if repo::update_password(tx, staff.user_id, &hash).await? == 0 {
                return Err(AuthError::InvalidToken);
            }
            let ended =
                repo::revoke_sessions_of_user(tx, staff.user_id, Some(&staff.token_hash)).await?;
            audit::record(
                tx,
                "staff.password_change",
                &staff.user_id.to_string(),
                serde_json::json!({ "sessions_ended": ended }),
            )
            .await?;
            Ok(ended)
        })
        .await?;
    Ok(ended)
}

/// A live session of the caller's account.
pub struct Session {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The session the request came with.
    pub current: bool,
}

/// The caller's live sessions, newest first.
pub async fn sessions(db: &Db, staff: &Staff) -> Result<Vec<Session>, DbError> {
    let rows = db
        .global_tx(&Actor::System, async |tx| {
            repo::list_sessions(tx, staff.user_id, &staff.token_hash).await
        })
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Session {
            id: r.id,
            created_at: r.created_at,
            expires_at: r.expires_at,
            current: r.current,
        })
        .collect())
}

/// Ends one of the caller's own sessions.
pub async fn end_session(db: &Db, staff: &Staff, id: Uuid) -> Result<(), StaffError> {
    let actor = Actor::Account {
        user_id: staff.user_id,
    };
    db.global_tx(&actor, async |tx| {
        if repo::revoke_session_by_id(tx, id, staff.user_id).await? == 0 {
            return Err(StaffError::NotFound("no such live session of yours"));
        }
        audit::record(
            tx,
            "staff.session_end",
            &staff.user_id.to_string(),
            serde_json::json!({ "session": id }),
        )
        .await?;
        Ok(())
    })
    .await
}

/// Disables (and ends every session of) or re-enables a staff account. Owner only: `actor`
/// comes from `Staff::authorize_company`. The owner's own account is not disabled this way.
pub async fn set_disabled(
    db: &Db,
    actor: &Actor,
    user_id: Uuid,
    disabled: bool,
) -> Result<(), StaffError> {
    db.global_tx(actor, async |tx| {
        if !repo::set_disabled(tx, user_id, disabled).await? {
            return Err(StaffError::NotFound(
                "no such staff account (the owner's cannot be disabled)",
            ));
        }
        let ended = if disabled {
            repo::revoke_sessions_of_user(tx, user_id, None).await?
        } else {
            0
        };
        audit::record(
            tx,
            if disabled {
                "staff.account_disable"
            } else {
                "staff.account_enable"
            },
            &user_id.to_string(),
            serde_json::json!({ "sessions_ended": ended }),
        )
        .await?;
        Ok(())
    })
    .await
}

//! Joining a brand's staff: by invitation only.
//!
//! A brand manager (or the owner) invites an email in a role; the invitation's token is shown
//! once, to be handed to the person. The person accepts it in one of two ways:
//! - the email has no account: they set their own display name and password, which creates the
//!   account and the membership at once;
//! - the email has an account: its holder accepts while signed in as that account.
//!
//! Nothing else attaches an existing account to a brand, so a brand cannot plant an account
//! (with a password it knows) that another brand later adds: the other brand's invitation is
//! useless without its token, and accepting it needs the account's holder. Inviting answers the
//! same whether the email has an account somewhere or not, and shows nothing of other brands.
//!
//! Tokens are `bhi_` + base64url(brand id ‖ 32 random bytes): the brand id lets acceptance open
//! the right brand's transaction before anyone is signed in; the random part is the secret. Only
//! the SHA-256 of the whole token is stored, and the lookup runs under the brand's row-level
//! security, so a token whose brand part was altered finds nothing.

use std::time::Duration;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretString};
use uuid::Uuid;

use super::{
    Role, Staff, password, repo,
    service::{StaffError, unique_email},
    token,
};
use crate::{
    audit,
    db::Db,
    error::{FieldError, FieldErrors as _},
    scope::{Actor, TenantScope},
    tenants::TenantResolver,
    types::enums::text_enum,
    types::{DisplayName, Email},
};

const PREFIX: &str = "bhi_";
/// How many invitations the brand's list shows (newest first).
const LIST_LIMIT: i64 = 200;
/// What every failed acceptance says: unknown, altered, expired, used, revoked, or for another
/// email are one answer.
const NO_SUCH_INVITATION: &str = "no such open invitation (it may have expired, been used or been revoked, or be for another email)";

/// A new invitation token for `brand`: the value for the person, the hash for the database.
fn issue(brand: Uuid) -> token::IssuedToken {
    let mut bytes = [0u8; 48];
    bytes[..16].copy_from_slice(brand.as_bytes());
    rand::rng().fill_bytes(&mut bytes[16..]);
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = token::hash(&token);
    token::IssuedToken { token, hash }
}

/// The brand an invitation token names, if it is shaped like one.
fn brand_of(token: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(token.strip_prefix(PREFIX)?).ok()?;
    if bytes.len() != 48 {
        return None;
    }
    Uuid::from_slice(&bytes[..16]).ok()
}

text_enum! {
    /// Where an invitation stands.
    pub enum InvitationState("InvitationState") {
        /// Can be accepted until it expires.
        Pending = "pending",
        /// Used: the person joined the brand.
        Accepted = "accepted",
        /// Withdrawn by the brand, or replaced by a newer invitation of the same email.
        Revoked = "revoked",
        /// Not accepted in time.
        Expired = "expired",
    }
}

/// An invitation of the scope's brand.
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub state: InvitationState,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<repo::InvitationRow> for Invitation {
    fn from(r: repo::InvitationRow) -> Self {
        let state = if r.accepted_at.is_some() {
            InvitationState::Accepted
        } else if r.revoked_at.is_some() {
            InvitationState::Revoked
        } else if r.expires_at <= Utc::now() {
            InvitationState::Expired
        } else {
            InvitationState::Pending
        };
        Self {
            id: r.id,
            email: r.email,
            role: r.role,
            state,
            created_at: r.created_at,
            expires_at: r.expires_at,
        }
    }
}

/// Invites `email` to the scope's brand in `role`; returns the invitation and its token (shown
/// once). A newer invitation of the same email replaces an open one. The answer is the same
/// whether or not the email has an account anywhere.
pub async fn invite(
    db: &Db,
    scope: &TenantScope,
    email: &str,
    role: Role,
    ttl: Duration,
) -> Result<(Invitation, String), StaffError> {
    let mut errors = Vec::new();
    let email = errors.check("email", Email::parse(email));
    if role == Role::Owner {
        errors.push(FieldError::new(
            "role",
            "one of brand_manager, warehouse, support",
        ));
    }
    let (true, Some(email)) = (errors.is_empty(), email) else {
        return Err(StaffError::Invalid(errors));
    };
    let email = email.into_string();
    let issued = issue(scope.tenant_id());
    let invited_by = match scope.actor() {
        Actor::Staff { user_id, .. } | Actor::Account { user_id } => Some(*user_id),
        Actor::Storefront | Actor::System => None,
    };
    let row = db
        .tenant_tx(scope, async |tx| {
            if repo::is_member_email(tx, &email).await? {
                return Err(StaffError::Conflict(
                    "this email is already a member of this brand: change their role instead",
                ));
            }
            let replaced = repo::revoke_open_invitations(tx, &email).await?;
            let row = repo::insert_invitation(
                tx,
                &repo::NewInvitation {
                    email: &email,
                    role,
                    token_hash: &issued.hash,
                    invited_by,
                    ttl_secs: ttl.as_secs_f64(),
                },
            )
            .await?;
            audit::record(
                tx,
                "staff.invite",
                &row.id.to_string(),
                serde_json::json!({ "role": role.as_str(), "replaced": replaced }),
            )
            .await?;
            Ok(row)
        })
        .await?;
    Ok((row.into(), issued.token))
}

/// The scope's brand's invitations, newest first.
pub async fn list(db: &Db, scope: &TenantScope) -> Result<Vec<Invitation>, StaffError> {
    let rows = db
        .tenant_tx(scope, async |tx| {
            repo::list_invitations(tx, LIST_LIMIT).await
        })
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Withdraws an open invitation of the scope's brand.
pub async fn revoke(db: &Db, scope: &TenantScope, id: Uuid) -> Result<(), StaffError> {
    db.tenant_tx(scope, async |tx| {
        if repo::revoke_invitation(tx, id).await? == 0 {
            return Err(StaffError::NotFound(
                "no such open invitation in this brand",
            ));
        }
        audit::record(
            tx,
            "staff.invite_revoke",
            &id.to_string(),
            serde_json::json!({}),
        )
        .await?;
        Ok(())
    })
    .await
}

/// An accepted invitation: who joined which brand in which role.
pub struct Joined {
    pub user_id: Uuid,
    pub brand: String,
    pub role: Role,
}

/// The brand scope an invitation token names, for `actor`; an unknown or malformed token is the
/// same not-found as a used one.
async fn scope_of(
    tenants: &TenantResolver,
    token: &str,
    actor: Actor,
) -> Result<TenantScope, StaffError> {
    let brand = brand_of(token).ok_or(StaffError::NotFound(NO_SUCH_INVITATION))?;
    tenants
        .scope_for_id(brand, actor)
        .await
        .map_err(|_| StaffError::NotFound(NO_SUCH_INVITATION))
}

/// Accepts an invitation for an email that has no account: creates the account with the
/// person's own display name and password, and the membership. When the email has an account,
/// nothing changes: its holder must sign in and accept ([`accept_signed_in`]).
pub async fn accept_new_account(
    db: &Db,
    tenants: &TenantResolver,
    token: &str,
    display_name: &str,
    password: SecretString,
) -> Result<Joined, StaffError> {
    let mut errors = Vec::new();
    let display_name = errors.check("display_name", DisplayName::parse(display_name));
    if let Some(problem) = password::check_strength(password.expose_secret()) {
        errors.push(FieldError::new("password", problem));
    }
    let (true, Some(display_name)) = (errors.is_empty(), display_name) else {
        return Err(StaffError::Invalid(errors));
    };
    let scope = scope_of(tenants, token, Actor::System).await?;
    let token_hash = token::hash(token);
    // An argon2 hash costs memory and a blocking thread: only for a token that names an open
    // invitation (the claim below still decides, under the row lock).
    let open = db
        .tenant_tx(&scope, async |tx| {
            repo::open_invitation(tx, &token_hash).await
        })
        .await?;
    if !open {
        return Err(StaffError::NotFound(NO_SUCH_INVITATION));
    }
    let hash = password::hash(password).await?;
    let (user_id, role) = db
        .tenant_tx(&scope, async |tx| {
            let claimed = repo::claim_invitation(tx, &token_hash, None)
                .await?
                .ok_or(StaffError::NotFound(NO_SUCH_INVITATION))?;
            if repo::user_by_email(tx, &claimed.email).await?.is_some() {
                // Rolls the claim back: the invitation stays open for the account's holder.
                return Err(StaffError::Conflict(
                    "this email has an account: sign in as it and accept the invitation while signed in",
                ));
            }
            let user_id = repo::insert_user(tx, &claimed.email, display_name.as_str(), &hash)
                .await
                .map_err(unique_email)?;
            join(tx, &claimed, user_id).await?;
            Ok((user_id, claimed.role))
        })
        .await?;
    Ok(Joined {
        user_id,
        brand: scope.slug().to_owned(),
        role,
    })
}

/// Accepts an invitation for the signed-in caller's own email: their account joins the brand.
pub async fn accept_signed_in(
    db: &Db,
    tenants: &TenantResolver,
    staff: &Staff,
    token: &str,
) -> Result<Joined, StaffError> {
    let scope = scope_of(
        tenants,
        token,
        Actor::Account {
            user_id: staff.user_id,
        },
    )
    .await?;
    if staff.is_owner {
        return Err(StaffError::Conflict(
            "the company owner already acts in every brand",
        ));
    }
    let token_hash = token::hash(token);
    let role = db
        .tenant_tx(&scope, async |tx| {
            let claimed = repo::claim_invitation(tx, &token_hash, Some(&staff.email))
                .await?
                .ok_or(StaffError::NotFound(NO_SUCH_INVITATION))?;
            join(tx, &claimed, staff.user_id).await?;
            Ok::<_, StaffError>(claimed.role)
        })
        .await?;
    Ok(Joined {
        user_id: staff.user_id,
        brand: scope.slug().to_owned(),
        role,
    })
}

/// The membership an accepted invitation grants, in the transaction's brand, audited.
async fn join(
    tx: &crate::db::Tx<'_>,
    claimed: &repo::ClaimedInvitation,
    user_id: Uuid,
) -> Result<(), StaffError> {
    repo::set_invitation_acceptor(tx, claimed.id, user_id).await?;
    repo::upsert_membership(tx, user_id, claimed.role).await?;
    audit::record(
        tx,
        "staff.invite_accept",
        &user_id.to_string(),
        serde_json::json!({ "role": claimed.role.as_str(), "invitation": claimed.id }),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_brand_and_nothing_else_parses() {
        let brand = Uuid::new_v4();
        let issued = issue(brand);
        assert!(issued.token.starts_with(PREFIX));
        assert_eq!(brand_of(&issued.token), Some(brand));
        assert_eq!(issued.hash, token::hash(&issued.token));
        assert_ne!(issue(brand).token, issued.token);
        for bad in ["", "bhi_", "bh_abc", "bhi_!!!", &issued.token[..40]] {
            assert_eq!(brand_of(bad), None, "{bad}");
        }
    }
}

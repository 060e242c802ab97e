//! Authentication endpoints: login, logout, and who am I.

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use secrecy::SecretString;
use uuid::Uuid;

use super::{Role, account, extract::StaffAuth, invitation, service};
use crate::{
    api::ApiTags,
    error::ApiError,
    types::{DisplayName, Unchecked},
};

#[derive(Object)]
#[oai(rename = "LoginRequest")]
pub struct LoginRequest {
    /// At most 254 characters (the longest address SMTP can carry).
    #[oai(validator(max_length = 254))]
    pub email: String,
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

#[derive(Object)]
#[oai(rename = "LoginResponse")]
pub struct LoginResponse {
    /// The bearer token: send it as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user_id: Uuid,
}

#[derive(Object)]
#[oai(rename = "StaffUser")]
pub struct StaffUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
}

#[derive(Object)]
#[oai(rename = "BrandMembership")]
pub struct BrandMembership {
    /// The brand's slug: send it as `X-Tenant-ID` to act in this brand.
    pub slug: String,
    pub name: String,
    pub is_active: bool,
    /// `owner`, `brand_manager`, `warehouse` or `support`.
    pub role: Role,
}

#[derive(Object)]
#[oai(rename = "Me")]
pub struct Me {
    pub user: StaffUser,
    /// The company owner acts in every brand.
    pub is_owner: bool,
    pub brands: Vec<BrandMembership>,
    pub token_expires_at: DateTime<Utc>,
}

#[derive(Object)]
#[oai(rename = "AcceptInvitationRequest")]
pub struct AcceptInvitationRequest {
    /// The invitation token (`bhi_...`) the brand handed over.
    #[oai(validator(max_length = 200))]
    pub token: String,
    /// Your name as the brand's staff will see it.
    pub display_name: Unchecked<DisplayName>,
    /// Your password: at least 12 characters.
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

#[derive(Object)]
#[oai(rename = "AcceptInvitationSignedInRequest")]
pub struct AcceptInvitationSignedInRequest {
    /// The invitation token (`bhi_...`) the brand handed over.
    #[oai(validator(max_length = 200))]
    pub token: String,
}

#[derive(Object)]
#[oai(rename = "JoinedBrand")]
pub struct JoinedBrand {
    pub user_id: Uuid,
    /// The brand's slug: send it as `X-Tenant-ID` to act in this brand.
    pub brand: String,
    pub role: Role,
}

impl From<invitation::Joined> for JoinedBrand {
    fn from(j: invitation::Joined) -> Self {
        Self {
            user_id: j.user_id,
            brand: j.brand,
            role: j.role,
        }
    }
}

#[derive(Object)]
#[oai(rename = "ChangePasswordRequest")]
pub struct ChangePasswordRequest {
    #[oai(validator(max_length = 1024))]
    pub current_password: String,
    /// At least 12 characters.
    #[oai(validator(max_length = 1024))]
    pub new_password: String,
}

#[derive(Object)]
#[oai(rename = "PasswordChanged")]
pub struct PasswordChanged {
    /// How many of your other sessions were ended (the one that asked stays signed in).
    pub sessions_ended: u64,
}

#[derive(Object)]
#[oai(rename = "StaffSession")]
pub struct StaffSession {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The session this request was made with.
    pub current: bool,
}

#[derive(ApiResponse)]
pub enum LogoutResponse {
    /// The token is revoked.
    #[oai(status = 204)]
    Revoked,
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct AuthApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// Token lifetime and login throttling.
    pub auth: crate::config::AuthSettings,
    /// The bound on concurrent password checks, shared by every login.
    pub gate: super::password::HashGate,
    /// Finds the brand an invitation token names.
    pub tenants: crate::tenants::TenantResolver,
    /// Names the client's address as the rate limits do; login failures are counted by it.
    pub rate_limits: crate::ratelimit::RateLimiter,
}

#[OpenApi]
impl AuthApi {
    /// Signs a staff member in and returns a bearer token (valid for `AUTH_TOKEN_TTL_SECS`,
    /// 12 hours by default).
    ///
    /// A wrong email and a wrong password give the same 401. After repeated failures from one
    /// client address (`LOGIN_MAX_FAILURES_PER_CLIENT`, 5 by default), that address gets 429
    /// with Retry-After until the window ends (`LOGIN_THROTTLE_WINDOW_SECS`, 15 minutes); after
    /// more failures for one email from many addresses (`LOGIN_MAX_FAILURES`, 10), the email is
    /// locked for a short while (`LOGIN_ACCOUNT_LOCK_SECS`, 60 seconds).
    #[oai(
        path = "/v1/auth/login",
        method = "post",
        operation_id = "login",
        tag = "ApiTags::Auth"
    )]
    async fn login(
        &self,
        req: &poem::Request,
        body: Json<LoginRequest>,
    ) -> Result<Json<LoginResponse>, ApiError> {
        let body = body.0;
        let client = self.rate_limits.client(req);
        let session = service::login(
            &self.db,
            &self.auth,
            &self.gate,
            &body.email,
            SecretString::from(body.password),
            &client,
        )
        .await?;
        Ok(Json(LoginResponse {
            token: session.token,
            expires_at: session.expires_at,
            user_id: session.user_id,
        }))
    }

    /// Revokes the caller's token. Any signed-in staff member.
    #[oai(
        path = "/v1/auth/logout",
        method = "post",
        operation_id = "logout",
        tag = "ApiTags::Auth"
    )]
    async fn logout(&self, auth: StaffAuth) -> Result<LogoutResponse, ApiError> {
        service::logout(&self.db, &auth.0).await?;
        Ok(LogoutResponse::Revoked)
    }

    /// The caller: their account, whether they are the company owner, and their brands with
    /// the role in each (every brand, as `owner`, for the owner). Any signed-in staff member.
    #[oai(
        path = "/v1/auth/me",
        method = "get",
        operation_id = "getMe",
        tag = "ApiTags::Auth"
    )]
    async fn me(&self, auth: StaffAuth) -> Result<Json<Me>, ApiError> {
        let staff = auth.0;
        let brands = service::brands_of(&self.db, &staff).await?;
        Ok(Json(Me {
            user: StaffUser {
                id: staff.user_id,
                email: staff.email,
                display_name: staff.display_name,
            },
            is_owner: staff.is_owner,
            brands: brands
                .into_iter()
                .map(|b| BrandMembership {
                    slug: b.slug,
                    name: b.name,
                    is_active: b.is_active,
                    role: b.role,
                })
                .collect(),
            token_expires_at: staff.expires_at,
        }))
    }

    /// Accepts a staff invitation by creating your account: your display name and your own
    /// password. For an email that already has an account this changes nothing (409): sign in
    /// as that account and use `acceptInvitationSignedIn`. Needs no sign-in; the token is the
    /// proof. Unknown, used, revoked and expired tokens are one 404.
    #[oai(
        path = "/v1/auth/invitations/accept",
        method = "post",
        operation_id = "acceptInvitation",
        tag = "ApiTags::Auth"
    )]
    async fn accept_invitation(
        &self,
        body: Json<AcceptInvitationRequest>,
    ) -> Result<Json<JoinedBrand>, ApiError> {
        let body = body.0;
        let joined = invitation::accept_new_account(
            &self.db,
            &self.tenants,
            &body.token,
            body.display_name.as_str(),
            SecretString::from(body.password),
        )
        .await?;
        Ok(Json(joined.into()))
    }

    /// Accepts a staff invitation with the account you are signed in as: the invitation must
    /// be for your account's email. Your account joins the brand in the invitation's role.
    #[oai(
        path = "/v1/auth/invitations/accept-signed-in",
        method = "post",
        operation_id = "acceptInvitationSignedIn",
        tag = "ApiTags::Auth"
    )]
    async fn accept_invitation_signed_in(
        &self,
        auth: StaffAuth,
        body: Json<AcceptInvitationSignedInRequest>,
    ) -> Result<Json<JoinedBrand>, ApiError> {
        let joined =
            invitation::accept_signed_in(&self.db, &self.tenants, &auth.0, &body.0.token).await?;
        Ok(Json(joined.into()))
    }

    /// Changes your password. Every other session of your account ends; this one stays. A
    /// wrong current password is a 422 and counts against the login throttle of your email.
    #[oai(
        path = "/v1/auth/password",
        method = "post",
        operation_id = "changePassword",
        tag = "ApiTags::Auth"
    )]
    async fn change_password(
        &self,
        auth: StaffAuth,
        body: Json<ChangePasswordRequest>,
    ) -> Result<Json<PasswordChanged>, ApiError> {
        let body = body.0;
        let sessions_ended = account::change_password(
            &self.db,
            &self.auth,
            &self.gate,
            &auth.0,
            SecretString::from(body.current_password),
            SecretString::from(body.new_password),
        )
        .await?;
        Ok(Json(PasswordChanged { sessions_ended }))
    }

    /// Your live sessions (signed-in devices), newest first.
    #[oai(
        path = "/v1/auth/sessions",
        method = "get",
        operation_id = "listSessions",
        tag = "ApiTags::Auth"
    )]
    async fn sessions(&self, auth: StaffAuth) -> Result<Json<Vec<StaffSession>>, ApiError> {
        let sessions = account::sessions(&self.db, &auth.0).await?;
        Ok(Json(
            sessions
                .into_iter()
                .map(|s| StaffSession {
                    id: s.id,
                    created_at: s.created_at,
                    expires_at: s.expires_at,
                    current: s.current,
                })
                .collect(),
        ))
    }

    /// Ends one of your sessions (signs that device out).
    #[oai(
        path = "/v1/auth/sessions/:id",
        method = "delete",
        operation_id = "endSession",
        tag = "ApiTags::Auth"
    )]
    async fn end_session(
        &self,
        auth: StaffAuth,
        id: Path<Uuid>,
    ) -> Result<LogoutResponse, ApiError> {
        account::end_session(&self.db, &auth.0, id.0).await?;
        Ok(LogoutResponse::Revoked)
    }
}

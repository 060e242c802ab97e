//! Authentication endpoints: login, logout, and who am I.

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use secrecy::SecretString;
use uuid::Uuid;

use super::{Role, extract::StaffAuth, service};
use crate::{api::ApiTags, error::ApiError};

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
}

#[OpenApi]
impl AuthApi {
    /// Signs a staff member in and returns a bearer token (valid for `AUTH_TOKEN_TTL_SECS`,
    /// 12 hours by default).
    ///
    /// A wrong email and a wrong password give the same 401. After repeated failures for one
    /// email, further attempts get 429 with Retry-After until the window ends.
    #[oai(
        path = "/v1/auth/login",
        method = "post",
        operation_id = "login",
        tag = "ApiTags::Auth"
    )]
    async fn login(&self, body: Json<LoginRequest>) -> Result<Json<LoginResponse>, ApiError> {
        let body = body.0;
        let session = service::login(
            &self.db,
            &self.auth,
            &self.gate,
            &body.email,
            SecretString::from(body.password),
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
}

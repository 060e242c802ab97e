//! The bearer security scheme for staff endpoints.

use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};

use super::{Staff, service, token};
use crate::{api::AppState, error::ApiError};

/// A staff member authenticated by `Authorization: Bearer <token>` (from `POST
/// /v1/auth/login`). Expired, revoked and unknown tokens are 401.
#[derive(SecurityScheme)]
#[oai(
    rename = "staffBearer",
    ty = "bearer",
    bearer_format = "opaque",
    checker = "check_staff_token"
)]
pub struct StaffAuth(pub Staff);

async fn check_staff_token(req: &Request, bearer: Bearer) -> poem::Result<Staff> {
    let state = req
        .data::<AppState>()
        .expect("AppState is added to every request in startup.rs");
    if !token::looks_valid(&bearer.token) {
        return Err(ApiError::unauthorized("invalid or expired token").into());
    }
    let staff = service::authenticate(&state.db, &bearer.token)
        .await
        .map_err(ApiError::from)?;
    tracing::Span::current().record("enduser.id", tracing::field::display(staff.user_id));
    Ok(staff)
}

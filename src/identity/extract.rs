//! The bearer security scheme for staff endpoints.

use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};

use super::{Staff, service, token};
use crate::{db::Db, error::ApiError};

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
    let Some(db) = req.data::<Db>() else {
        // Composition error, not a client's: startup.rs adds the pool to every request.
        return Err(
            ApiError::internal(anyhow::anyhow!("the pool is not in the request data")).into(),
        );
    };
    if !token::looks_valid(&bearer.token) {
        return Err(ApiError::unauthorized("invalid or expired token").into());
    }
    let staff = service::authenticate(db, &bearer.token)
        .await
        .map_err(ApiError::from)?;
    tracing::Span::current().record("enduser.id", tracing::field::display(staff.user_id));
    Ok(staff)
}

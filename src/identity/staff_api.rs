//! Staff management inside a brand.

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use super::{
    Permission, Role, account,
    extract::StaffAuth,
    invitation::{self, InvitationState},
    service,
};
use crate::{
    api::ApiTags,
    error::ApiError,
    tenants::StaffBrand,
    types::{Email, Unchecked},
};

/// A role that can be given in a brand (the owner is not a membership).
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "MembershipRole", rename_all = "snake_case")]
pub enum MembershipRole {
    BrandManager,
    Warehouse,
    Support,
}

impl From<MembershipRole> for Role {
    fn from(r: MembershipRole) -> Self {
        match r {
            MembershipRole::BrandManager => Role::BrandManager,
            MembershipRole::Warehouse => Role::Warehouse,
            MembershipRole::Support => Role::Support,
        }
    }
}

#[derive(Object)]
#[oai(rename = "StaffMember")]
pub struct StaffMember {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    /// `brand_manager`, `warehouse` or `support` (a membership is never `owner`).
    pub role: Role,
    pub since: DateTime<Utc>,
    pub disabled: bool,
}

impl From<service::Member> for StaffMember {
    fn from(m: service::Member) -> Self {
        Self {
            user_id: m.user_id,
            email: m.email,
            display_name: m.display_name,
            role: m.role,
            since: m.since,
            disabled: m.disabled,
        }
    }
}

#[derive(Object)]
#[oai(rename = "InviteStaffRequest")]
pub struct InviteStaffRequest {
    pub email: Unchecked<Email>,
    pub role: MembershipRole,
}

#[derive(Object)]
#[oai(rename = "StaffInvitation")]
pub struct StaffInvitation {
    pub id: Uuid,
    pub email: String,
    /// `brand_manager`, `warehouse` or `support`.
    pub role: Role,
    pub state: InvitationState,
    pub created_at: DateTime<Utc>,
    /// After this the invitation can no longer be accepted.
    pub expires_at: DateTime<Utc>,
}

impl From<invitation::Invitation> for StaffInvitation {
    fn from(i: invitation::Invitation) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role: i.role,
            state: i.state,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

#[derive(Object)]
#[oai(rename = "IssuedStaffInvitation")]
pub struct IssuedStaffInvitation {
    pub invitation: StaffInvitation,
    /// The token to hand to the person invited: shown once, never stored in clear. They accept
    /// with `POST /v1/auth/invitations/accept` (new account) or, when their email already has
    /// an account, `POST /v1/auth/invitations/accept-signed-in` while signed in.
    pub token: String,
}

#[derive(Object)]
#[oai(rename = "ChangeStaffRoleRequest")]
pub struct ChangeStaffRoleRequest {
    pub role: MembershipRole,
}

#[derive(ApiResponse)]
pub enum InviteResponse {
    /// The invitation, with its token (shown once).
    #[oai(status = 201)]
    Created(Json<IssuedStaffInvitation>),
}

#[derive(ApiResponse)]
pub enum NoContent {
    #[oai(status = 204)]
    Done,
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct StaffApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// How long an invitation can be accepted (`STAFF_INVITATION_TTL_HOURS`).
    pub invitation_ttl: std::time::Duration,
}

#[OpenApi]
impl StaffApi {
    /// The brand's staff and their roles.
    ///
    /// Permission `staff.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/staff",
        method = "get",
        operation_id = "listStaff",
        tag = "ApiTags::Staff"
    )]
    async fn list(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Vec<StaffMember>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StaffManage)?;
        let members = service::list_members(&self.db, &scope).await?;
        Ok(Json(members.into_iter().map(Into::into).collect()))
    }

    /// Invites an email to the brand's staff in a role. The answer is the same whether or not
    /// the email has an account anywhere; the person joins only by accepting with the token
    /// (setting their own password, or signed in as their existing account). A newer invitation
    /// of the same email replaces an open one. Expires after `STAFF_INVITATION_TTL_HOURS`.
    ///
    /// Permission `staff.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/staff/invitations",
        method = "post",
        operation_id = "inviteStaff",
        tag = "ApiTags::Staff"
    )]
    async fn invite(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<InviteStaffRequest>,
    ) -> Result<InviteResponse, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StaffManage)?;
        let body = body.0;
        let (invitation, token) = invitation::invite(
            &self.db,
            &scope,
            body.email.as_str(),
            body.role.into(),
            self.invitation_ttl,
        )
        .await?;
        Ok(InviteResponse::Created(Json(IssuedStaffInvitation {
            invitation: invitation.into(),
            token,
        })))
    }

    /// The brand's invitations, newest first (at most 200), with where each stands.
    ///
    /// Permission `staff.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/staff/invitations",
        method = "get",
        operation_id = "listStaffInvitations",
        tag = "ApiTags::Staff"
    )]
    async fn invitations(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Vec<StaffInvitation>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StaffManage)?;
        let list = invitation::list(&self.db, &scope).await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Withdraws an open invitation: its token stops working.
    ///
    /// Permission `staff.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/staff/invitations/:id",
        method = "delete",
        operation_id = "revokeStaffInvitation",
        tag = "ApiTags::Staff"
    )]
    async fn revoke_invitation(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
    ) -> Result<NoContent, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StaffManage)?;
        invitation::revoke(&self.db, &scope, id.0).await?;
        Ok(NoContent::Done)
    }

    /// Changes a staff member's role in the brand.
    ///
    /// Permission `staff.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/staff/:user_id",
        method = "patch",
        operation_id = "changeStaffRole",
        tag = "ApiTags::Staff"
    )]
    async fn change_role(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        user_id: Path<Uuid>,
        body: Json<ChangeStaffRoleRequest>,
    ) -> Result<NoContent, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StaffManage)?;
        service::change_role(&self.db, &scope, user_id.0, body.0.role.into()).await?;
        Ok(NoContent::Done)
    }

    /// Removes a staff member from the brand (their account stays; other brands are
    /// unaffected).
    ///
    /// Permission `staff.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/staff/:user_id",
        method = "delete",
        operation_id = "removeStaff",
        tag = "ApiTags::Staff"
    )]
    async fn remove(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        user_id: Path<Uuid>,
    ) -> Result<NoContent, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StaffManage)?;
        service::remove_member(&self.db, &scope, user_id.0).await?;
        Ok(NoContent::Done)
    }

    /// Disables a staff account across every brand and ends all its sessions: it can no longer
    /// sign in. Memberships are kept, so enabling restores the same access.
    ///
    /// Permission `accounts.manage`: role owner.
    #[oai(
        path = "/v1/admin/accounts/:user_id/disable",
        method = "post",
        operation_id = "disableAccount",
        tag = "ApiTags::Staff"
    )]
    async fn disable(&self, auth: StaffAuth, user_id: Path<Uuid>) -> Result<NoContent, ApiError> {
        let actor = auth.0.authorize_company(Permission::AccountsManage)?;
        account::set_disabled(&self.db, &actor, user_id.0, true).await?;
        Ok(NoContent::Done)
    }

    /// Enables a disabled staff account again (its holder signs in anew).
    ///
    /// Permission `accounts.manage`: role owner.
    #[oai(
        path = "/v1/admin/accounts/:user_id/enable",
        method = "post",
        operation_id = "enableAccount",
        tag = "ApiTags::Staff"
    )]
    async fn enable(&self, auth: StaffAuth, user_id: Path<Uuid>) -> Result<NoContent, ApiError> {
        let actor = auth.0.authorize_company(Permission::AccountsManage)?;
        account::set_disabled(&self.db, &actor, user_id.0, false).await?;
        Ok(NoContent::Done)
    }
}

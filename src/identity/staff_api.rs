//! Staff management inside a brand.

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, payload::Json};
use secrecy::SecretString;
use uuid::Uuid;

use super::{Permission, Role, extract::StaffAuth, service};
use crate::{
    api::ApiTags,
    error::ApiError,
    tenants::StaffBrand,
    types::{DisplayName, Email, Unchecked},
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
#[oai(rename = "AddStaffRequest")]
pub struct AddStaffRequest {
    pub email: Unchecked<Email>,
    pub role: MembershipRole,
    /// Required when the email has no account yet.
    pub display_name: Option<Unchecked<DisplayName>>,
    /// Required when the email has no account yet; at least 12 characters.
    #[oai(validator(max_length = 1024))]
    pub initial_password: Option<String>,
}

#[derive(Object)]
#[oai(rename = "ChangeStaffRoleRequest")]
pub struct ChangeStaffRoleRequest {
    pub role: MembershipRole,
}

#[derive(ApiResponse)]
pub enum AddStaffResponse {
    /// The member was added (and their account created if the email was new).
    #[oai(status = 201)]
    Created(Json<StaffMember>),
    /// The person was already a member; their role is now the one requested.
    #[oai(status = 200)]
    Updated(Json<StaffMember>),
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

    /// Adds a staff member to the brand with a role, creating their account (with an initial
    /// password) when the email is new. An existing member gets the new role.
    ///
    /// Permission `staff.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/staff",
        method = "post",
        operation_id = "addStaff",
        tag = "ApiTags::Staff"
    )]
    async fn add(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<AddStaffRequest>,
    ) -> Result<AddStaffResponse, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StaffManage)?;
        let body = body.0;
        let (member, created) = service::add_member(
            &self.db,
            &scope,
            service::NewMember {
                email: body.email.into_string(),
                display_name: body.display_name.map(Unchecked::into_string),
                role: body.role.into(),
                initial_password: body.initial_password.map(SecretString::from),
            },
        )
        .await?;
        Ok(if created {
            AddStaffResponse::Created(Json(member.into()))
        } else {
            AddStaffResponse::Updated(Json(member.into()))
        })
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
}

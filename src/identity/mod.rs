//! Staff identity and access: accounts, bearer tokens, roles per brand, and the access check
//! that runs before any brand data is touched.
//!
//! A request to a staff endpoint carries a bearer token ([`StaffAuth`]) and names a brand
//! ([`crate::tenants::StaffBrand`]). [`Staff::authorize`] checks the caller's role in that brand
//! against the endpoint's [`Permission`] and only then hands out the [`TenantScope`] that the
//! tenant transaction requires: without passing the check there is no way to the data.

pub mod account;
pub mod api;
pub mod extract;
pub mod invitation;
pub mod password;
pub(crate) mod repo;
mod roles;
pub mod service;
pub mod staff_api;
pub mod token;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
pub use roles::{Permission, Role, matrix_markdown};
use uuid::Uuid;

use crate::{
    error::ApiError,
    scope::{Actor, Tenant, TenantScope},
    tenants::StaffBrand,
};

/// A signed-in staff member, as loaded from a live token.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub is_owner: bool,
    pub expires_at: DateTime<Utc>,
    /// Brand id -> role, for every membership.
    pub memberships: HashMap<Uuid, Role>,
    pub(crate) token_hash: Vec<u8>,
}

impl Staff {
    /// The caller's role in a brand: the owner's everywhere, else the membership's.
    pub fn role_in(&self, tenant: &Tenant) -> Option<Role> {
        if self.is_owner {
            Some(Role::Owner)
        } else {
            self.memberships.get(&tenant.id).copied()
        }
    }

    /// The access check. Returns the scope to act in `brand` when the caller's role there
    /// allows `permission`; a 403 problem otherwise (also when the caller has no role in the
    /// brand at all: brands are public, so 404 would hide nothing).
    pub fn authorize(
        &self,
        brand: &StaffBrand,
        permission: Permission,
    ) -> Result<TenantScope, ApiError> {
        let tenant = brand.tenant();
        match self.role_in(tenant) {
            Some(role) if permission.allows(role) => Ok(TenantScope::new(
                brand.0.clone(),
                Actor::Staff {
                    user_id: self.user_id,
                    role,
                },
            )),
            Some(role) => Err(ApiError::forbidden(format!(
                "the {role} role may not do this ({} needs: {})",
                permission.name(),
                roles_list(permission)
            ))),
            None => Err(ApiError::forbidden(format!(
                "you have no role in brand {:?}",
                tenant.slug
            ))),
        }
    }

    /// The access check for company-wide actions (onboarding, analytics): owner only. Returns
    /// the actor for the global transaction.
    pub fn authorize_company(&self, permission: Permission) -> Result<Actor, ApiError> {
        if self.is_owner && permission.allows(Role::Owner) {
            Ok(Actor::Staff {
                user_id: self.user_id,
                role: Role::Owner,
            })
        } else {
            Err(ApiError::forbidden(format!(
                "{} needs: {}",
                permission.name(),
                roles_list(permission)
            )))
        }
    }
}

fn roles_list(permission: Permission) -> String {
    permission
        .allowed_roles()
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

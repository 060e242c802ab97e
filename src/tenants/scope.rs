//! The tenant scope: a resolved brand plus who is acting in it.

use std::sync::Arc;

use uuid::Uuid;

use super::Tenant;
use crate::identity::Role;

/// Who is acting, written into the transaction (`app.user_id`, `app.role`) for the audit
/// trail. Never used for row visibility: that is decided by the tenant alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An anonymous storefront visitor (or the customer behind it).
    Storefront,
    /// A signed-in staff member acting in a role (the owner acts as `Role::Owner`).
    Staff { user_id: Uuid, role: Role },
    /// Background work and CLI commands (seeding, sweepers, workers).
    System,
}

impl Actor {
    /// The value of `app.role` in the transaction.
    pub fn role_setting(&self) -> &'static str {
        match self {
            Actor::Storefront => "storefront",
            Actor::Staff { role, .. } => role.as_str(),
            Actor::System => "system",
        }
    }

    /// The value of `app.user_id` in the transaction ('' for none).
    pub fn user_id_setting(&self) -> String {
        match self {
            Actor::Staff { user_id, .. } => user_id.to_string(),
            Actor::Storefront | Actor::System => String::new(),
        }
    }
}

/// A brand resolved from a request (or a job naming it), with the actor. The only way to make
/// one is through [`super::TenantResolver`], so holding a scope proves the brand exists. The
/// tenant transaction, cache keys, object keys and vector queries take it, never a bare id.
#[derive(Debug, Clone)]
pub struct TenantScope {
    tenant: Arc<Tenant>,
    actor: Actor,
}

impl TenantScope {
    pub(crate) fn new(tenant: Arc<Tenant>, actor: Actor) -> Self {
        Self { tenant, actor }
    }

    pub fn tenant_id(&self) -> Uuid {
        self.tenant.id
    }

    pub fn slug(&self) -> &str {
        &self.tenant.slug
    }

    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The same brand with another actor.
    pub fn with_actor(&self, actor: Actor) -> Self {
        Self {
            tenant: self.tenant.clone(),
            actor,
        }
    }
}

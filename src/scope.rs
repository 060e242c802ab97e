//! The tenant scope: which brand a unit of work is for, and who is acting in it.
//!
//! Plumbing, not a domain: the tenant transaction ([`crate::db::Db::tenant_tx`]), the cache, object
//! storage and the vector index all take a [`TenantScope`] and build their settings and keys from
//! it, so this module sits beside `db.rs` and depends on nothing above it. The brands domain
//! (`tenants`) resolves scopes from requests; `identity` checks the caller's [`Role`] before
//! handing one out.

use std::sync::Arc;

use uuid::Uuid;

use crate::types::enums::text_enum;

/// A brand as resolved from a request. Public data only: secrets live in tenant-owned tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub sku_prefix: String,
    pub currency: String,
    pub is_active: bool,
}

text_enum! {
    /// A staff role in a brand. The owner is not a membership: it holds in every brand. The
    /// names are those of the API, the database (`app.role`, memberships) and the docs.
    pub enum Role("Role") {
        /// The company owner: every brand, onboarding, cross-brand analytics.
        Owner = "owner",
        /// Everything in one brand, including its staff.
        BrandManager = "brand_manager",
        /// Stock, zones, reservations, fulfilment; no prices or staff.
        Warehouse = "warehouse",
        /// Orders and customers (read), chat conversations; no catalog or stock writes.
        Support = "support",
    }
}

impl Role {
    /// Every role, in the matrix's column order.
    pub fn all() -> impl Iterator<Item = Role> {
        Role::ALL.iter().copied()
    }

    /// Parses a membership role (the owner is not one).
    pub fn parse_membership(s: &str) -> Option<Role> {
        Role::parse(s).ok().filter(|r| *r != Role::Owner)
    }
}

/// Who is acting, written into the transaction (`app.user_id`, `app.role`) for the audit
/// trail. Never used for row visibility: that is decided by the tenant alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An anonymous storefront visitor (or the customer behind it).
    Storefront,
    /// A signed-in staff member acting in a role (the owner acts as `Role::Owner`).
    Staff { user_id: Uuid, role: Role },
    /// A signed-in person acting on their own account in no brand (password, sessions, accepting
    /// an invitation). `app.role` is `account`.
    Account { user_id: Uuid },
    /// Background work and CLI commands (seeding, sweepers, workers).
    System,
}

impl Actor {
    /// The value of `app.role` in the transaction.
    pub fn role_setting(&self) -> &'static str {
        match self {
            Actor::Storefront => "storefront",
            Actor::Staff { role, .. } => role.as_str(),
            Actor::Account { .. } => "account",
            Actor::System => "system",
        }
    }

    /// The value of `app.user_id` in the transaction (none: '').
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Actor::Staff { user_id, .. } | Actor::Account { user_id } => Some(*user_id),
            Actor::Storefront | Actor::System => None,
        }
    }
}

/// A brand resolved from a request (or a job naming it), with the actor. Only code inside this
/// crate makes one, and only from a [`Tenant`] read from the database: the brand resolver
/// (`tenants::TenantResolver`: requests, jobs, CLI commands) and the access check
/// (`identity::Staff::authorize`, which narrows a resolved brand to the caller's role). Holding a
/// scope proves the brand exists. The tenant transaction, cache keys, object keys and vector
/// queries take it, never a bare id.
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

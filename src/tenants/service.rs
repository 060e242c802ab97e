//! Brand rules: validation, creation and changes, and the brand reads the endpoints serve.
//! Onboarding endpoints and the demo seed both come here.

pub use super::repo::{BrandRow, ThemeRow};
use super::{TenantResolver, Theme, repo};
use crate::scope::{Actor, Tenant, TenantScope};
use crate::{
    audit,
    db::{Db, DbError},
    error::{ConstraintTable, DomainError, FieldError, FieldErrors, Violation},
    types::{
        CurrencyCode, DisplayName, DomainName, SkuPrefix, Slug, refuse_nul, refuse_nul_in_json,
    },
};

/// A brand to create.
#[derive(Debug, Clone)]
pub struct NewBrand {
    pub slug: String,
    pub name: String,
    pub sku_prefix: String,
    pub currency: String,
    pub domains: Vec<String>,
    pub theme: Theme,
    pub features: serde_json::Map<String, serde_json::Value>,
}

/// Brand errors are the shared ones.
pub type BrandError = DomainError;

/// The brand tables' unique keys, as what the client did wrong.
const CONSTRAINTS: &ConstraintTable = &[
    (
        "tenants_slug_key",
        Violation::Conflict("a brand with this slug exists"),
    ),
    (
        "tenants_sku_prefix_key",
        Violation::Conflict("another brand already uses this SKU prefix"),
    ),
    (
        "tenant_domains_pkey",
        Violation::Conflict("one of the domains already belongs to a brand"),
    ),
];

fn conflict(e: DbError) -> BrandError {
    DomainError::from_db(e, CONSTRAINTS)
}

/// Each domain a host name, none listed twice.
fn check_domains(domains: &[String], errors: &mut Vec<FieldError>) {
    for (i, domain) in domains.iter().enumerate() {
        errors.check(format!("domains[{i}]"), DomainName::parse(domain));
    }
    let mut sorted = domains.to_vec();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != domains.len() {
        errors.push(FieldError::new("domains", "lists a domain twice"));
    }
}

/// Free-form JSON, but storable: no NUL anywhere.
fn check_features(
    features: &serde_json::Map<String, serde_json::Value>,
    errors: &mut Vec<FieldError>,
) {
    for (key, value) in features {
        errors.check(
            format!("features.{key}"),
            refuse_nul(key).and_then(|()| refuse_nul_in_json(value)),
        );
    }
}

/// Every problem with a new brand, each naming its field.
pub fn validate(new: &NewBrand) -> Vec<FieldError> {
    let mut errors = Vec::new();
    errors.check("slug", Slug::parse(&new.slug));
    errors.check("name", DisplayName::parse(&new.name));
    errors.check("sku_prefix", SkuPrefix::parse(&new.sku_prefix));
    errors.check("currency", CurrencyCode::parse(&new.currency));
    check_domains(&new.domains, &mut errors);
    check_features(&new.features, &mut errors);
    errors.extend(
        new.theme
            .problems()
            .into_iter()
            .map(|(field, message)| FieldError::new(field, message)),
    );
    errors
}

/// Every brand's id, for work that visits each brand (`actor`: who asks, for the audit of
/// global reads).
pub async fn brand_ids(db: &Db, actor: &Actor) -> Result<Vec<uuid::Uuid>, DbError> {
    db.global_tx(actor, async |tx| repo::tenant_ids(tx).await)
        .await
}

/// Creates a brand: one row and its domains, no deploy.
pub async fn create_brand(db: &Db, actor: &Actor, new: &NewBrand) -> Result<Tenant, BrandError> {
    let errors = validate(new);
    if !errors.is_empty() {
        return Err(BrandError::Invalid(errors));
    }
    db.global_tx(actor, async |tx| {
        let tenant = repo::insert_tenant(
            tx,
            &repo::NewTenantRow {
                slug: &new.slug,
                name: new.name.trim(),
                sku_prefix: &new.sku_prefix,
                currency: &new.currency,
                theme: &new.theme,
                features: serde_json::Value::Object(new.features.clone()),
            },
        )
        .await
        .map_err(conflict)?;
        repo::insert_domains(tx, tenant.id, &new.domains)
            .await
            .map_err(conflict)?;
        audit::record_for_brand(
            tx,
            tenant.id,
            "brand.create",
            &tenant.slug,
            serde_json::json!({ "domains": new.domains }),
        )
        .await?;
        Ok(tenant)
    })
    .await
}

/// Changes to a brand; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct BrandPatch {
    pub name: Option<String>,
    pub domains: Option<Vec<String>>,
    pub theme: Option<Theme>,
    pub features: Option<serde_json::Map<String, serde_json::Value>>,
    pub is_active: Option<bool>,
}

fn validate_patch(patch: &BrandPatch) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(name) = &patch.name {
        errors.check("name", DisplayName::parse(name));
    }
    if let Some(domains) = &patch.domains {
        check_domains(domains, &mut errors);
    }
    if let Some(features) = &patch.features {
        check_features(features, &mut errors);
    }
    if let Some(theme) = &patch.theme {
        errors.extend(
            theme
                .problems()
                .into_iter()
                .map(|(field, message)| FieldError::new(field, message)),
        );
    }
    errors
}

/// Every brand, or one by slug.
pub async fn brand_details(
    db: &Db,
    actor: &Actor,
    slug: Option<&str>,
) -> Result<Vec<repo::BrandRow>, BrandError> {
    Ok(db
        .global_tx(actor, async |tx| repo::brand_details(tx, slug).await)
        .await?)
}

/// Applies a patch to the brand `slug` and returns it as it now is. The in-process brand
/// cache must be invalidated by the caller.
pub async fn update_brand(
    db: &Db,
    actor: &Actor,
    slug: &str,
    patch: &BrandPatch,
) -> Result<repo::BrandRow, BrandError> {
    let errors = validate_patch(patch);
    if !errors.is_empty() {
        return Err(BrandError::Invalid(errors));
    }
    db.global_tx(actor, async |tx| {
        let Some(current) = repo::brand_details(tx, Some(slug)).await?.pop() else {
            return Err(BrandError::NotFound("no such brand"));
        };
        repo::update_brand(
            tx,
            current.id,
            &repo::BrandUpdate {
                name: patch.name.as_ref().map(|n| n.trim().to_owned()),
                theme: patch.theme.clone(),
                features: patch.features.clone().map(serde_json::Value::Object),
                is_active: patch.is_active,
            },
        )
        .await?;
        if let Some(domains) = &patch.domains {
            repo::replace_domains(tx, current.id, domains)
                .await
                .map_err(conflict)?;
        }
        let changed: Vec<&str> = [
            patch.name.as_ref().map(|_| "name"),
            patch.domains.as_ref().map(|_| "domains"),
            patch.theme.as_ref().map(|_| "theme"),
            patch.features.as_ref().map(|_| "features"),
            patch.is_active.map(|_| "is_active"),
        ]
        .into_iter()
        .flatten()
        .collect();
        audit::record_for_brand(
            tx,
            current.id,
            "brand.update",
            slug,
            serde_json::json!({ "changed": changed, "is_active": patch.is_active }),
        )
        .await?;
        repo::brand_details(tx, Some(slug))
            .await?
            .pop()
            .ok_or(BrandError::NotFound("no such brand"))
    })
    .await
}

/// Creates a brand ([`create_brand`]), forgets the resolver's cached lookups (a miss for its
/// slug or a domain may be cached), then reads the brand back as the admin API shows it.
/// `None` only if the brand vanished between the two transactions.
pub async fn create_brand_details(
    db: &Db,
    resolver: &TenantResolver,
    actor: &Actor,
    new: &NewBrand,
) -> Result<Option<BrandRow>, BrandError> {
    let tenant = create_brand(db, actor, new).await?;
    resolver.invalidate_all();
    Ok(brand_details(db, actor, Some(&tenant.slug)).await?.pop())
}

/// The brand of `scope`, as its staff see it.
pub async fn current_brand(db: &Db, scope: &TenantScope) -> Result<BrandRow, BrandError> {
    db.tenant_tx(scope, async |tx| repo::current_brand(tx).await)
        .await?
        .ok_or(BrandError::NotFound("no such brand"))
}

/// The brand of `scope` as a storefront renders it: name, currency, public theme.
pub async fn storefront_theme(db: &Db, scope: &TenantScope) -> Result<ThemeRow, BrandError> {
    db.tenant_read(scope, || async |tx| repo::storefront_theme(tx).await)
        .await?
        .ok_or(BrandError::NotFound("no such brand"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand() -> NewBrand {
        NewBrand {
            slug: "fiber-x".into(),
            name: "Fiber X".into(),
            sku_prefix: "FBX".into(),
            currency: "EUR".into(),
            domains: vec!["fiber-x.localhost".into()],
            theme: Theme::default(),
            features: Default::default(),
        }
    }

    #[test]
    fn a_good_brand_is_valid() {
        assert!(validate(&brand()).is_empty());
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut b = brand();
        b.slug = "Fiber X".into();
        b.sku_prefix = "FB".into();
        b.currency = "eur".into();
        b.domains = vec!["-bad-.com".into(), "x.com".into(), "x.com".into()];
        let fields: Vec<String> = validate(&b).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["slug", "sku_prefix", "currency", "domains[0]", "domains"]
        );
    }

    #[test]
    fn a_nul_in_a_name_is_a_field_error() {
        let mut b = brand();
        b.name = "Fiber\0X".into();
        let fields: Vec<String> = validate(&b).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name"]);
    }
}

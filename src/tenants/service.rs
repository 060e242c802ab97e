//! Brand rules: validation and creation. Onboarding endpoints and the demo seed both come here.

use tokio_postgres::error::SqlState;

use super::{Actor, Tenant, Theme, repo};
use crate::{
    db::{Db, DbError},
    error::{ApiError, FieldError},
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

#[derive(Debug, thiserror::Error)]
pub enum BrandError {
    #[error("invalid brand")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<BrandError> for ApiError {
    fn from(e: BrandError) -> Self {
        match e {
            BrandError::Invalid(errors) => ApiError::invalid(errors),
            BrandError::Conflict(what) => ApiError::conflict(what),
            BrandError::Db(db) => db.into(),
        }
    }
}

/// Maps the unique constraints of the brand tables to what the client did wrong.
fn conflict(e: DbError) -> BrandError {
    match e.constraint() {
        Some((code, Some(name))) if *code == SqlState::UNIQUE_VIOLATION => match name {
            "tenants_slug_key" => BrandError::Conflict("a brand with this slug exists"),
            "tenants_sku_prefix_key" => {
                BrandError::Conflict("another brand already uses this SKU prefix")
            }
            "tenant_domains_pkey" => {
                BrandError::Conflict("one of the domains already belongs to a brand")
            }
            _ => BrandError::Db(e),
        },
        _ => BrandError::Db(e),
    }
}

pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 63
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

pub fn is_valid_domain(domain: &str) -> bool {
    domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Every problem with a new brand, each naming its field.
pub fn validate(new: &NewBrand) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !is_valid_slug(&new.slug) {
        errors.push(FieldError::new(
            "slug",
            "lowercase letters and digits in hyphen-separated words, at most 63 characters",
        ));
    }
    let name_len = new.name.trim().chars().count();
    if !(1..=200).contains(&name_len) {
        errors.push(FieldError::new("name", "1 to 200 characters"));
    }
    if !(new.sku_prefix.len() == 3 && new.sku_prefix.bytes().all(|b| b.is_ascii_uppercase())) {
        errors.push(FieldError::new(
            "sku_prefix",
            "three uppercase letters, e.g. FBX",
        ));
    }
    if !(new.currency.len() == 3 && new.currency.bytes().all(|b| b.is_ascii_uppercase())) {
        errors.push(FieldError::new("currency", "an ISO 4217 code, e.g. EUR"));
    }
    for (i, domain) in new.domains.iter().enumerate() {
        if !is_valid_domain(domain) {
            errors.push(FieldError::new(
                format!("domains[{i}]"),
                "a lowercase host name such as shop.example.com",
            ));
        }
    }
    let mut sorted = new.domains.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != new.domains.len() {
        errors.push(FieldError::new("domains", "lists a domain twice"));
    }
    errors.extend(
        new.theme
            .problems()
            .into_iter()
            .map(|(field, message)| FieldError::new(field, message)),
    );
    errors
}

/// Creates a brand: one row and its domains, no deploy.
pub async fn create_brand(db: &Db, actor: &Actor, new: &NewBrand) -> Result<Tenant, BrandError> {
    let errors = validate(new);
    if !errors.is_empty() {
        return Err(BrandError::Invalid(errors));
    }
    let theme = serde_json::to_value(&new.theme).expect("a theme serialises");
    db.global_tx(actor, async |tx| {
        let tenant = repo::insert_tenant(
            tx,
            &repo::NewTenantRow {
                slug: &new.slug,
                name: new.name.trim(),
                sku_prefix: &new.sku_prefix,
                currency: &new.currency,
                theme,
                features: serde_json::Value::Object(new.features.clone()),
            },
        )
        .await
        .map_err(conflict)?;
        repo::insert_domains(tx, tenant.id, &new.domains)
            .await
            .map_err(conflict)?;
        Ok(tenant)
    })
    .await
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
    fn slugs() {
        for ok in ["fiber-x", "suzume", "a1-b2"] {
            assert!(is_valid_slug(ok), "{ok}");
        }
        for bad in ["", "-x", "x-", "a--b", "Fiber", "a_b", &"a".repeat(64)] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }
}

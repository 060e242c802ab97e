//! Translations: the locales a brand sells in (a list and a default), and product and category
//! text per locale, with the rules the admin endpoints, the CSV import and the storefront share.
//!
//! A product's and a category's own fields are the text of the brand's **default** locale; a
//! translation carries another locale's text field by field, and a field it leaves out falls
//! back to the product's own (per field, not per product). So a translation is never written
//! for the default locale: the product's own text is that locale's.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::translations_repo::ImportedTranslation;
use super::{service::CatalogError, translations_repo as repo};
use crate::{
    audit,
    cache::{Cache, CatalogEntry},
    db::{Db, DbError, Tx},
    error::{FieldError, FieldErrors},
    jobs::{self, JobKind},
    scope::TenantScope,
    types::{Description, DisplayName, Locale, Text, locale::negotiate},
};

/// How many locales a brand may list.
pub const MAX_LOCALES: usize = 20;
/// How many option labels one translation may carry.
pub const MAX_OPTION_LABELS: usize = 200;

/// An axis name or option value, or its label: 1 to 100 characters.
type Label = Text<1, 100>;

/// The locales a brand sells in; `default` is one of `locales`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandLocales {
    pub locales: Vec<Locale>,
    pub default: Locale,
}

impl BrandLocales {
    /// A brand that never set its locales sells in English only.
    pub fn english_only() -> Self {
        let en = Locale::parse("en").unwrap_or_else(|_| unreachable!("`en` is a tag"));
        Self {
            locales: vec![en.clone()],
            default: en,
        }
    }

    /// Whether the brand lists `locale`.
    pub fn has(&self, locale: &Locale) -> bool {
        self.locales.contains(locale)
    }

    /// The locale to answer a storefront request in (see [`negotiate`]).
    pub fn negotiate(&self, explicit: Option<&Locale>, accept_language: Option<&str>) -> &Locale {
        negotiate(&self.locales, &self.default, explicit, accept_language)
    }

    /// Why `locale` (a canonical tag) cannot carry translations, if it cannot: it is the
    /// default, or not one of the brand's.
    pub fn refuses(&self, locale: &str) -> Option<&'static str> {
        if locale == self.default.as_str() {
            Some("the default locale's text is the product's own: use name/description")
        } else if !self.locales.iter().any(|l| l.as_str() == locale) {
            Some("not one of the brand's locales (PUT /v1/admin/locales first)")
        } else {
            None
        }
    }

    /// The locales other than the default: the ones translations are written for.
    pub fn translated(&self) -> impl Iterator<Item = &Locale> {
        self.locales.iter().filter(|l| **l != self.default)
    }
}

/// The brand's locales, read in the caller's transaction (the CSV import's too).
pub async fn brand_locales_in(tx: &Tx<'_>) -> Result<BrandLocales, DbError> {
    let Some((locales, default)) = repo::brand_locales(tx).await? else {
        return Ok(BrandLocales::english_only());
    };
    // Stored tags passed the same parse (and the table's check) when written.
    let locales: Vec<Locale> = locales
        .iter()
        .filter_map(|l| Locale::parse(l).ok())
        .collect();
    match Locale::parse(&default) {
        Ok(default) if !locales.is_empty() => Ok(BrandLocales { locales, default }),
        _ => Ok(BrandLocales::english_only()),
    }
}

/// The brand's locales.
pub async fn brand_locales(db: &Db, scope: &TenantScope) -> Result<BrandLocales, CatalogError> {
    Ok(db
        .tenant_read(scope, || async |tx| brand_locales_in(tx).await)
        .await?)
}

/// The brand's locales for a storefront request: from the brand's cache (invalidated with the
/// catalog), else from the database.
pub async fn storefront_locales(
    db: &Db,
    cache: &Cache,
    scope: &TenantScope,
) -> Result<BrandLocales, CatalogError> {
    let json = cache
        .catalog_fetch(scope, &CatalogEntry::Locales, || async {
            let locales = brand_locales(db, scope).await?;
            serde_json::to_string(&locales)
                .map_err(|e| CatalogError::Conflict(format!("locales: {e}")))
        })
        .await?;
    // An entry that does not parse (a bug, or another release's shape): read the database.
    match serde_json::from_str(&json) {
        Ok(locales) => Ok(locales),
        Err(_) => brand_locales(db, scope).await,
    }
}

/// Sets the brand's locales and default: canonical BCP 47 tags, no duplicates, 1 to
/// [`MAX_LOCALES`], the default among them (422 naming the field otherwise).
pub async fn set_brand_locales(
    db: &Db,
    scope: &TenantScope,
    locales: &[String],
    default: &str,
) -> Result<BrandLocales, CatalogError> {
    let mut errors = Vec::new();
    let mut parsed: Vec<Locale> = Vec::new();
    if locales.is_empty() || locales.len() > MAX_LOCALES {
        errors.push(FieldError::new(
            "locales",
            format!("1 to {MAX_LOCALES} locales"),
        ));
    }
    for (i, l) in locales.iter().take(MAX_LOCALES).enumerate() {
        if let Some(l) = errors.check(format!("locales[{i}]"), Locale::parse(l)) {
            if parsed.contains(&l) {
                errors.push(FieldError::new(format!("locales[{i}]"), "listed twice"));
            } else {
                parsed.push(l);
            }
        }
    }
    let default = errors.check("default_locale", Locale::parse(default));
    if let Some(d) = &default
        && !parsed.contains(d)
        && errors.is_empty()
    {
        errors.push(FieldError::new(
            "default_locale",
            "must be one of `locales`",
        ));
    }
    let (Some(default), true) = (default, errors.is_empty()) else {
        return Err(CatalogError::Invalid(errors));
    };
    let tags: Vec<&str> = parsed.iter().map(Locale::as_str).collect();
    db.tenant_tx(scope, async |tx| {
        repo::upsert_brand_locales(tx, &tags, default.as_str()).await?;
        // The assistant's index holds the text of the brand's locales only: a removed locale's
        // translations leave it, a re-added one's come back (they are kept: README).
        jobs::enqueue(tx, JobKind::ReindexBrand, "all", Utc::now()).await?;
        audit::record(
            tx,
            "brand.locales",
            default.as_str(),
            serde_json::json!({ "locales": tags }),
        )
        .await?;
        Ok::<_, CatalogError>(())
    })
    .await?;
    Ok(BrandLocales {
        locales: parsed,
        default,
    })
}

/// A locale a translation may be written for: one of the brand's, not its default (422).
fn translatable(brand: &BrandLocales, locale: &str) -> Result<Locale, CatalogError> {
    let locale = Locale::parse(locale)
        .map_err(|e| CatalogError::invalid_field("locale", e.into_message()))?;
    match brand.refuses(locale.as_str()) {
        Some(why) => Err(CatalogError::invalid_field("locale", why)),
        None => Ok(locale),
    }
}

/// A product's text in one locale.
#[derive(Debug, Clone)]
pub struct ProductTranslation {
    pub locale: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub option_labels: BTreeMap<String, String>,
    pub updated_at: DateTime<Utc>,
}

/// Every translation of product `number`, by locale (404 if there is no such product).
pub async fn product_translations(
    db: &Db,
    scope: &TenantScope,
    number: i32,
) -> Result<Vec<ProductTranslation>, CatalogError> {
    db.tenant_read(scope, || {
        async |tx| {
            if super::repo::product_by_number(tx, number).await?.is_none() {
                return Err(CatalogError::NotFound("no such product"));
            }
            Ok(repo::product_translations(tx, number)
                .await?
                .into_iter()
                .map(|r| ProductTranslation {
                    locale: r.locale,
                    name: r.name,
                    description: r.description,
                    option_labels: r.option_labels,
                    updated_at: r.updated_at,
                })
                .collect())
        }
    })
    .await
}

/// Writes product `number`'s text in `locale` (one of the brand's, not the default): each
/// field optional (it then falls back to the product's own), option labels mapping an axis
/// name or value to its label. 422 naming every invalid field; 404 without such a product.
pub async fn put_product_translation(
    db: &Db,
    scope: &TenantScope,
    number: i32,
    locale: &str,
    name: Option<&str>,
    description: Option<&str>,
    option_labels: &BTreeMap<String, String>,
) -> Result<ProductTranslation, CatalogError> {
    let mut errors = Vec::new();
    let name = name.and_then(|n| errors.check("name", DisplayName::parse(n)));
    let description = description.and_then(|d| errors.check("description", Description::parse(d)));
    if option_labels.len() > MAX_OPTION_LABELS {
        errors.push(FieldError::new(
            "option_labels",
            format!("at most {MAX_OPTION_LABELS} labels"),
        ));
    }
    let mut labels = BTreeMap::new();
    for (from, to) in option_labels.iter().take(MAX_OPTION_LABELS) {
        let field = format!(
            "option_labels.{}",
            from.chars().take(40).collect::<String>()
        );
        let from = errors.check(field.clone(), Label::parse(from));
        let to = errors.check(field, Label::parse(to));
        if let (Some(from), Some(to)) = (from, to) {
            labels.insert(from.into_string(), to.into_string());
        }
    }
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    let name = name.map(Text::into_string);
    let description = description.map(Text::into_string);
    db.tenant_tx(scope, async |tx| {
        let brand = brand_locales_in(tx).await?;
        let locale = translatable(&brand, locale)?;
        let (product_id, updated_at) = repo::upsert_product_translation(
            tx,
            number,
            locale.as_str(),
            name.as_deref(),
            description.as_deref(),
            &labels,
        )
        .await?
        .ok_or(CatalogError::NotFound("no such product"))?;
        // The assistant's index holds every locale's text: it learns through the job queue.
        jobs::enqueue(
            tx,
            JobKind::ReindexProduct,
            &product_id.to_string(),
            Utc::now(),
        )
        .await?;
        audit::record(
            tx,
            "product.translate",
            &number.to_string(),
            serde_json::json!({ "locale": locale.as_str() }),
        )
        .await?;
        Ok(ProductTranslation {
            locale: locale.into_string(),
            name: name.clone(),
            description: description.clone(),
            option_labels: labels.clone(),
            updated_at,
        })
    })
    .await
}

/// Removes product `number`'s translation into `locale` (404 if there was none).
pub async fn delete_product_translation(
    db: &Db,
    scope: &TenantScope,
    number: i32,
    locale: &str,
) -> Result<(), CatalogError> {
    let locale = Locale::parse(locale)
        .map_err(|e| CatalogError::invalid_field("locale", e.into_message()))?;
    db.tenant_tx(scope, async |tx| {
        if repo::delete_product_translation(tx, number, locale.as_str()).await? == 0 {
            return Err(CatalogError::NotFound("no such translation"));
        }
        // The locale's point leaves the assistant's index.
        if let Some(product) = super::repo::product_by_number(tx, number).await? {
            jobs::enqueue(
                tx,
                JobKind::ReindexProduct,
                &product.id.to_string(),
                Utc::now(),
            )
            .await?;
        }
        audit::record(
            tx,
            "product.untranslate",
            &number.to_string(),
            serde_json::json!({ "locale": locale.as_str() }),
        )
        .await?;
        Ok(())
    })
    .await
}

/// A category's name in one locale.
#[derive(Debug, Clone)]
pub struct CategoryTranslation {
    pub locale: String,
    pub name: String,
    pub updated_at: DateTime<Utc>,
}

/// Every translation of category `code`'s name (404 if there is no such category).
pub async fn category_translations(
    db: &Db,
    scope: &TenantScope,
    code: &str,
) -> Result<Vec<CategoryTranslation>, CatalogError> {
    db.tenant_read(scope, || {
        async |tx| {
            if super::repo::category_by_code(tx, code).await?.is_none() {
                return Err(CatalogError::NotFound("no such category"));
            }
            Ok(repo::category_translations(tx, code)
                .await?
                .into_iter()
                .map(|r| CategoryTranslation {
                    locale: r.locale,
                    name: r.name,
                    updated_at: r.updated_at,
                })
                .collect())
        }
    })
    .await
}

/// Writes category `code`'s name in `locale` (one of the brand's, not the default).
pub async fn put_category_translation(
    db: &Db,
    scope: &TenantScope,
    code: &str,
    locale: &str,
    name: &str,
) -> Result<CategoryTranslation, CatalogError> {
    let name = DisplayName::parse(name)
        .map_err(|e| CatalogError::invalid_field("name", e.into_message()))?
        .into_string();
    db.tenant_tx(scope, async |tx| {
        let brand = brand_locales_in(tx).await?;
        let locale = translatable(&brand, locale)?;
        let updated_at = repo::upsert_category_translation(tx, code, locale.as_str(), &name)
            .await?
            .ok_or(CatalogError::NotFound("no such category"))?;
        // The category's name is in each of its products' indexed text.
        jobs::enqueue(tx, JobKind::ReindexBrand, "all", Utc::now()).await?;
        audit::record(
            tx,
            "category.translate",
            code,
            serde_json::json!({ "locale": locale.as_str() }),
        )
        .await?;
        Ok(CategoryTranslation {
            locale: locale.into_string(),
            name: name.clone(),
            updated_at,
        })
    })
    .await
}

/// Writes an import's translated columns, in the import's transaction (the products exist;
/// their locales were checked with [`BrandLocales::refuses`]).
pub async fn import_translations(
    tx: &Tx<'_>,
    rows: &[ImportedTranslation],
) -> Result<u64, DbError> {
    repo::import_translations(tx, rows).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand(tags: &[&str], default: &str) -> BrandLocales {
        BrandLocales {
            locales: tags.iter().map(|t| Locale::parse(t).unwrap()).collect(),
            default: Locale::parse(default).unwrap(),
        }
    }

    #[test]
    fn translations_are_written_for_the_brands_other_locales_only() {
        let b = brand(&["en", "es", "pt-BR"], "en");
        assert_eq!(translatable(&b, "es").unwrap().as_str(), "es");
        assert_eq!(translatable(&b, "PT-br").unwrap().as_str(), "pt-BR");
        for bad in ["en", "ja", "es-MX", "", "x\0"] {
            assert!(translatable(&b, bad).is_err(), "{bad:?}");
        }
        let others: Vec<&str> = b.translated().map(Locale::as_str).collect();
        assert_eq!(others, ["es", "pt-BR"]);
    }

    #[test]
    fn brand_locales_survive_the_cache_round_trip() {
        let b = brand(&["ja", "en"], "ja");
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<BrandLocales>(&json).unwrap(), b);
        assert_eq!(b.negotiate(None, Some("en-GB,en;q=0.9")).as_str(), "en");
        assert_eq!(b.negotiate(None, None).as_str(), "ja");
    }
}

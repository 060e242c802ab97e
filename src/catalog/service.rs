//! Catalog rules: categories, products with generated variants, variant settings, SKU lookup,
//! and the storefront's reads (through the cache).

use uuid::Uuid;

pub use super::repo::{CategoryRow, ProductRow, SkuRow, VariantPatch, VariantRow};
use super::{
    repo, sku,
    status::ProductStatus,
    variants::{self, Axis},
};
use crate::{
    audit,
    cache::Cache,
    db::{Db, DbError},
    delivery::TaxClass,
    error::{ConstraintTable, DomainError, FieldError, FieldErrors, Violation},
    jobs::{self, JobKind},
    scope::TenantScope,
    types::{CategoryCode, Description, DisplayName, Handle},
};

/// The catalog's errors are the shared ones.
pub type CatalogError = DomainError;

/// Catalog constraints whose violation is the client's doing.
const CONSTRAINTS: &ConstraintTable = &[
    (
        "categories_code_key",
        Violation::Conflict("a category with this code exists"),
    ),
    (
        "products_handle_key",
        Violation::Conflict("a product with this handle exists"),
    ),
    (
        "products_category_fkey",
        Violation::Conflict("the category still has products"),
    ),
];

fn constraint(e: DbError) -> CatalogError {
    DomainError::from_db(e, CONSTRAINTS)
}

pub async fn create_category(
    db: &Db,
    scope: &TenantScope,
    code: &str,
    name: &str,
) -> Result<Uuid, CatalogError> {
    let mut errors = Vec::new();
    let code = errors.check("code", CategoryCode::parse(code));
    let name = errors.check("name", DisplayName::parse(name));
    let (Some(code), Some(name)) = (code, name) else {
        return Err(CatalogError::Invalid(errors));
    };
    let code = code.as_str();
    db.tenant_tx(scope, async |tx| {
        let id = repo::insert_category(tx, code, name.as_str())
            .await
            .map_err(constraint)?;
        audit::record(tx, "category.create", code, serde_json::json!({})).await?;
        Ok(id)
    })
    .await
}

pub async fn rename_category(
    db: &Db,
    scope: &TenantScope,
    code: &str,
    name: &str,
) -> Result<(), CatalogError> {
    let name = DisplayName::parse(name)
        .map_err(|e| CatalogError::Invalid(vec![FieldError::new("name", e.into_message())]))?;
    db.tenant_tx(scope, async |tx| {
        if repo::update_category(tx, code, name.as_str()).await? == 0 {
            return Err(CatalogError::NotFound("no such category"));
        }
        audit::record(tx, "category.rename", code, serde_json::json!({})).await?;
        Ok(())
    })
    .await
}

pub async fn delete_category(db: &Db, scope: &TenantScope, code: &str) -> Result<(), CatalogError> {
    db.tenant_tx(scope, async |tx| {
        if repo::delete_category(tx, code).await.map_err(constraint)? == 0 {
            return Err(CatalogError::NotFound("no such category"));
        }
        audit::record(tx, "category.delete", code, serde_json::json!({})).await?;
        Ok(())
    })
    .await
}

/// A product to create.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub handle: Option<String>,
    pub category_code: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub base_price_minor: i64,
    pub axes: Vec<Axis>,
}

/// Changes to a product; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ProductPatch {
    pub category_code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub base_price_minor: Option<i64>,
    pub axes: Option<Vec<Axis>>,
    /// `standard`, `reduced` or `zero`.
    pub tax_class: Option<String>,
}

/// A handle from a name: lowercase ASCII words joined by hyphens.
pub fn slugify(name: &str) -> String {
    let ascii = deunicode::deunicode(name).to_ascii_lowercase();
    let words: Vec<&str> = ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut slug = words.join("-");
    slug.truncate(100);
    slug.trim_end_matches('-').to_owned()
}

/// Checks the fields a product request sets, in the order their errors are listed; returns
/// the parsed status, if one was given.
fn validate_fields(
    errors: &mut Vec<FieldError>,
    name: Option<&str>,
    description: Option<&str>,
    status: Option<&str>,
    price: Option<i64>,
    axes: Option<&[Axis]>,
    category: Option<&str>,
) -> Option<ProductStatus> {
    if let Some(category) = category {
        errors.check("category_code", CategoryCode::parse(category));
    }
    if let Some(name) = name {
        errors.check("name", DisplayName::parse(name));
    }
    if let Some(d) = description {
        errors.check("description", Description::parse(d));
    }
    let status = status.and_then(|s| errors.check("status", ProductStatus::parse(s)));
    if let Some(p) = price
        && !(0..=1_000_000_000_000).contains(&p)
    {
        errors.push(FieldError::new(
            "base_price_minor",
            "a non-negative amount in the currency's minor units",
        ));
    }
    if let Some(axes) = axes {
        errors.extend(variants::validate_axes(axes, "axes"));
    }
    status
}

/// Creates a product and its variants; returns its number.
pub async fn create_product(
    db: &Db,
    scope: &TenantScope,
    new: &NewProduct,
) -> Result<i32, CatalogError> {
    let mut errors = Vec::new();
    let status = validate_fields(
        &mut errors,
        Some(&new.name),
        Some(&new.description),
        Some(&new.status),
        Some(new.base_price_minor),
        Some(&new.axes),
        Some(&new.category_code),
    );
    if let Some(h) = &new.handle {
        errors.check("handle", Handle::parse(h));
    }
    let (true, Some(status)) = (errors.is_empty(), status) else {
        return Err(CatalogError::Invalid(errors));
    };
    let prefix = scope.tenant().sku_prefix.clone();
    db.tenant_tx(scope, async |tx| {
        let Some((category_id, _)) = repo::category_by_code(tx, &new.category_code).await? else {
            return Err(CatalogError::Invalid(vec![FieldError::new(
                "category_code",
                "no such category in this brand",
            )]));
        };
        let number = repo::next_product_number(tx).await?;
        let stem = sku::stem(&prefix, &new.category_code, number);
        let handle = match &new.handle {
            Some(h) => h.clone(),
            None => {
                let base = slugify(&new.name);
                if base.is_empty() {
                    format!("p{number}")
                } else {
                    format!("{base}-{number}")
                }
            }
        };
        let product_id = repo::insert_product(
            tx,
            &repo::NewProductRow {
                number,
                handle: &handle,
                category_id,
                sku_stem: &stem,
                name: new.name.trim(),
                description: new.description.trim(),
                status,
                base_price_minor: new.base_price_minor,
                axes: &new.axes,
            },
        )
        .await
        .map_err(constraint)?;
        let plan = variants::plan(&stem, &new.axes, &[]);
        repo::insert_variants(tx, product_id, &plan.insert).await?;
        // The assistant's search learns about it through the job queue.
        jobs::enqueue(
            tx,
            JobKind::ReindexProduct,
            &product_id.to_string(),
            chrono::Utc::now(),
        )
        .await?;
        audit::record(
            tx,
            "product.create",
            &number.to_string(),
            serde_json::json!({ "variants": plan.insert.len() }),
        )
        .await?;
        Ok(number)
    })
    .await
}

/// Applies a patch; when the axes change, regenerates the variants (kept ones keep their SKU).
pub async fn update_product(
    db: &Db,
    scope: &TenantScope,
    number: i32,
    patch: &ProductPatch,
) -> Result<(), CatalogError> {
    let mut errors = Vec::new();
    let status = validate_fields(
        &mut errors,
        patch.name.as_deref(),
        patch.description.as_deref(),
        patch.status.as_deref(),
        patch.base_price_minor,
        patch.axes.as_deref(),
        patch.category_code.as_deref(),
    );
    let tax_class = patch
        .tax_class
        .as_deref()
        .and_then(|c| errors.check("tax_class", TaxClass::parse(c)));
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    db.tenant_tx(scope, async |tx| {
        let Some(product) = repo::product_by_number(tx, number).await? else {
            return Err(CatalogError::NotFound("no such product"));
        };
        let category_id = match &patch.category_code {
            None => None,
            Some(code) => match repo::category_by_code(tx, code).await? {
                Some((id, _)) => Some(id),
                None => {
                    return Err(CatalogError::Invalid(vec![FieldError::new(
                        "category_code",
                        "no such category in this brand",
                    )]));
                }
            },
        };
        repo::update_product(
            tx,
            product.id,
            &repo::ProductUpdate {
                name: patch.name.as_ref().map(|n| n.trim().to_owned()),
                description: patch.description.as_ref().map(|d| d.trim().to_owned()),
                status,
                base_price_minor: patch.base_price_minor,
                category_id,
                axes: patch.axes.clone(),
                tax_class,
            },
        )
        .await?;
        let mut details = serde_json::json!({});
        if let Some(axes) = &patch.axes {
            let existing: Vec<variants::Existing> = repo::variants_of_product(tx, product.id)
                .await?
                .into_iter()
                .map(|v| variants::Existing {
                    id: v.id,
                    key: v.option_key,
                    sku: v.sku,
                    is_active: v.is_active,
                })
                .collect();
            let plan = variants::plan(&product.sku_stem, axes, &existing);
            repo::insert_variants(tx, product.id, &plan.insert).await?;
            repo::set_variants_active(tx, &plan.activate, true).await?;
            repo::set_variants_active(tx, &plan.deactivate, false).await?;
            repo::set_variant_positions(tx, &plan.positions).await?;
            details = serde_json::json!({
                "variants_added": plan.insert.len(),
                "variants_reactivated": plan.activate.len(),
                "variants_deactivated": plan.deactivate.len(),
            });
        }
        jobs::enqueue(
            tx,
            JobKind::ReindexProduct,
            &product.id.to_string(),
            chrono::Utc::now(),
        )
        .await?;
        audit::record(tx, "product.update", &number.to_string(), details).await?;
        Ok(())
    })
    .await
}

/// A product with all its variants, for staff.
pub struct ProductDetail {
    pub product: repo::ProductRow,
    pub variants: Vec<repo::VariantRow>,
}

pub async fn product_detail(
    db: &Db,
    scope: &TenantScope,
    number: i32,
) -> Result<ProductDetail, CatalogError> {
    db.tenant_tx(scope, async |tx| {
        let Some(product) = repo::product_by_number(tx, number).await? else {
            return Err(CatalogError::NotFound("no such product"));
        };
        let variants = repo::variants_of_product(tx, product.id).await?;
        Ok(ProductDetail { product, variants })
    })
    .await
}

pub async fn patch_variant(
    db: &Db,
    scope: &TenantScope,
    sku: &str,
    patch: &repo::VariantPatch,
) -> Result<(), CatalogError> {
    let mut errors = Vec::new();
    if let Some(Some(p)) = patch.price_override_minor
        && p < 0
    {
        errors.push(FieldError::new(
            "price_override_minor",
            "must not be negative",
        ));
    }
    if let Some(t) = patch.reorder_threshold
        && t < 0
    {
        errors.push(FieldError::new("reorder_threshold", "must not be negative"));
    }
    if let Some(Some(w)) = patch.weight_grams
        && !(0..=1_000_000).contains(&w)
    {
        errors.push(FieldError::new("weight_grams", "0 to 1000000 grams"));
    }
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    db.tenant_tx(scope, async |tx| {
        if repo::patch_variant(tx, sku, patch).await? == 0 {
            return Err(CatalogError::NotFound("no such SKU in this brand"));
        }
        audit::record(
            tx,
            "variant.update",
            sku,
            serde_json::json!({
                "price_override_minor": patch.price_override_minor,
                "reorder_threshold": patch.reorder_threshold,
                "is_active": patch.is_active,
                "weight_grams": patch.weight_grams,
            }),
        )
        .await?;
        Ok(())
    })
    .await
}

pub async fn lookup_sku(
    db: &Db,
    scope: &TenantScope,
    sku: &str,
) -> Result<repo::SkuRow, CatalogError> {
    db.tenant_tx(scope, async |tx| {
        repo::variant_by_sku(tx, sku)
            .await?
            .ok_or(CatalogError::NotFound("no such SKU in this brand"))
    })
    .await
}

/// The storefront list cursor: the last number (and, for searches, rank) seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub number: i32,
    pub rank: Option<f32>,
}

impl Cursor {
    pub fn encode(&self) -> String {
        use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
        let raw = match self.rank {
            None => format!("n{}", self.number),
            Some(r) => format!("r{}.{}", r.to_bits(), self.number),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(s: &str) -> Option<Self> {
        use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        if let Some(n) = raw.strip_prefix('n') {
            return Some(Self {
                number: n.parse().ok()?,
                rank: None,
            });
        }
        let (bits, n) = raw.strip_prefix('r')?.split_once('.')?;
        Some(Self {
            number: n.parse().ok()?,
            rank: Some(f32::from_bits(bits.parse().ok()?)),
        })
    }
}

/// The brand's categories with their product counts, ordered by code.
pub async fn list_categories(
    db: &Db,
    scope: &TenantScope,
) -> Result<Vec<CategoryRow>, CatalogError> {
    Ok(db
        .tenant_tx(scope, async |tx| repo::list_categories(tx).await)
        .await?)
}

/// A page of the brand's products for staff.
pub struct ProductList {
    /// Products in number order, any status, without variants.
    pub items: Vec<ProductRow>,
    /// The cursor of the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// Up to `limit` products numbered after `after`, filtered by status and category code.
pub async fn list_products(
    db: &Db,
    scope: &TenantScope,
    after: i32,
    status: Option<ProductStatus>,
    category: Option<&str>,
    limit: usize,
) -> Result<ProductList, CatalogError> {
    let mut items = db
        .tenant_tx(scope, async |tx| {
            repo::list_products_admin(tx, after, status, category, limit as i64 + 1).await
        })
        .await?;
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = more.then(|| items.last()).flatten().map(|p| {
        Cursor {
            number: p.number,
            rank: None,
        }
        .encode()
    });
    Ok(ProductList { items, next_cursor })
}

/// [`create_product`], then the storefront cache is invalidated (after the commit) and the new
/// product read back with its variants.
pub async fn create_product_detail(
    db: &Db,
    cache: &Cache,
    scope: &TenantScope,
    new: &NewProduct,
) -> Result<ProductDetail, CatalogError> {
    let number = create_product(db, scope, new).await?;
    cache.invalidate_catalog(scope).await;
    product_detail(db, scope, number).await
}

/// [`update_product`], then the storefront cache is invalidated (after the commit) and the
/// product read back with its variants.
pub async fn update_product_detail(
    db: &Db,
    cache: &Cache,
    scope: &TenantScope,
    number: i32,
    patch: &ProductPatch,
) -> Result<ProductDetail, CatalogError> {
    update_product(db, scope, number, patch).await?;
    cache.invalidate_catalog(scope).await;
    product_detail(db, scope, number).await
}

/// [`patch_variant`], then the storefront cache is invalidated (after the commit) and the SKU
/// read back.
pub async fn patch_variant_lookup(
    db: &Db,
    cache: &Cache,
    scope: &TenantScope,
    sku: &str,
    patch: &VariantPatch,
) -> Result<SkuRow, CatalogError> {
    patch_variant(db, scope, sku, patch).await?;
    cache.invalidate_catalog(scope).await;
    lookup_sku(db, scope, sku).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for c in [
            Cursor {
                number: 42,
                rank: None,
            },
            Cursor {
                number: 7,
                rank: Some(0.6079271),
            },
        ] {
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
        for bad in ["", "!!", "x", "eHl6", "cjEy"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn handles() {
        assert_eq!(slugify("Silk Repair Shampoo"), "silk-repair-shampoo");
        assert_eq!(slugify("Crème brûlée Body Milk!"), "creme-brulee-body-milk");
        // A derived handle is always a valid one.
        for name in [
            "Silk Repair Shampoo",
            "Crème brûlée Body Milk!",
            "桜 Sakura",
        ] {
            assert!(Handle::parse(&slugify(name)).is_ok(), "{name}");
        }
    }
}

//! Demo data for `brandhouse demo`: the three brands of the story, each with its own look.
//! Idempotent: brands that exist are left as they are; categories are upserted.

use secrecy::SecretString;

use crate::{
    catalog,
    db::Db,
    error::ApiError,
    identity::{
        Role,
        service::{self as identity, StaffError},
    },
    scope::Actor,
    tenants::{
        TenantError, TenantResolver, Theme, ThemeColors,
        service::{self, NewBrand},
    },
    types::Nullable,
};

/// One demo brand.
pub struct DemoBrand {
    pub slug: &'static str,
    pub name: &'static str,
    pub sku_prefix: &'static str,
    pub currency: &'static str,
    pub colors: [&'static str; 4],
    pub font_family: &'static str,
}

pub const DEMO_BRANDS: &[DemoBrand] = &[
    DemoBrand {
        slug: "fiber-x",
        name: "Fiber X",
        sku_prefix: "FBX",
        currency: "EUR",
        colors: ["#1f1f24", "#c8743a", "#f7f4ef", "#1f1f24"],
        font_family: "\"Archivo\", sans-serif",
    },
    DemoBrand {
        slug: "suzume",
        name: "Suzume",
        sku_prefix: "SZM",
        currency: "JPY",
        colors: ["#8a5a44", "#e9c9b5", "#fffaf6", "#3b2a22"],
        font_family: "\"Noto Serif JP\", serif",
    },
    DemoBrand {
        slug: "showstopper",
        name: "Showstopper",
        sku_prefix: "SHS",
        currency: "EUR",
        colors: ["#d6001c", "#111111", "#ffffff", "#111111"],
        font_family: "\"Bebas Neue\", \"Oswald\", sans-serif",
    },
];

impl DemoBrand {
    pub fn new_brand(&self) -> NewBrand {
        let [primary, secondary, background, text] = self.colors.map(str::to_owned);
        NewBrand {
            slug: self.slug.to_owned(),
            name: self.name.to_owned(),
            sku_prefix: self.sku_prefix.to_owned(),
            currency: self.currency.to_owned(),
            domains: vec![format!("{}.localhost", self.slug)],
            theme: Theme {
                colors: ThemeColors {
                    primary,
                    secondary,
                    background,
                    text,
                },
                font_family: self.font_family.to_owned(),
                logo_url: Nullable(Some(format!("/static/{}/logo.svg", self.slug))),
            },
            features: Default::default(),
        }
    }
}

/// The demo catalog: categories and products per brand (seed/demo-catalog.json, embedded).
const DEMO_CATALOG: &str = include_str!("../seed/demo-catalog.json");

#[derive(serde::Deserialize)]
struct CatalogFile {
    categories: Vec<CategoryEntry>,
    products: Vec<ProductEntry>,
}

#[derive(serde::Deserialize)]
struct CategoryEntry {
    code: String,
    name: String,
}

#[derive(serde::Deserialize)]
struct ProductEntry {
    handle: String,
    category: String,
    name: String,
    description: String,
    price_minor: i64,
    status: String,
    axes: Vec<catalog::variants::Axis>,
}

/// What the demo seed created.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub brands: Vec<&'static str>,
    pub products_created: usize,
}

/// Seeds the demo brands and their catalogs. Idempotent: existing brands, categories and
/// products (by handle) are left as they are.
pub async fn demo(db: &Db, tenants: &TenantResolver) -> Result<SeedReport, ApiError> {
    let mut catalogs: std::collections::HashMap<String, CatalogFile> =
        serde_json::from_str(DEMO_CATALOG)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("seed/demo-catalog.json: {e}")))?;
    let mut report = SeedReport::default();
    for brand in DEMO_BRANDS {
        let scope = match tenants.scope_for_slug(brand.slug, Actor::System).await {
            Ok(scope) => scope,
            Err(TenantError::NotFound) => {
                service::create_brand(db, &Actor::System, &brand.new_brand()).await?;
                tenants.invalidate_all();
                tenants.scope_for_slug(brand.slug, Actor::System).await?
            }
            Err(e) => return Err(e.into()),
        };
        let Some(file) = catalogs.remove(brand.slug) else {
            continue;
        };
        let missing: Vec<ProductEntry> = db
            .tenant_tx(&scope, async |tx| {
                for c in &file.categories {
                    catalog::repo::upsert_category(tx, &c.code, &c.name).await?;
                }
                let mut missing = Vec::new();
                for p in file.products {
                    if catalog::repo::product_number_by_handle(tx, &p.handle)
                        .await?
                        .is_none()
                    {
                        missing.push(p);
                    }
                }
                Ok::<_, ApiError>(missing)
            })
            .await?;
        for p in missing {
            catalog::service::create_product(
                db,
                &scope,
                &catalog::service::NewProduct {
                    handle: Some(p.handle),
                    category_code: p.category,
                    name: p.name,
                    description: p.description,
                    status: p.status,
                    base_price_minor: p.price_minor,
                    axes: p.axes,
                },
            )
            .await?;
            report.products_created += 1;
        }
        report.brands.push(brand.slug);
    }
    Ok(report)
}

/// Demo staff: the company owner and one member per role in Fiber X. The passwords are printed
/// by `brandhouse demo`; they exist for the demo only.
pub const DEMO_OWNER: (&str, &str, &str) =
    ("owner@brandhouse.demo", "Olivia Owner", "demo-owner-2026");
pub const DEMO_STAFF: &[(&str, &str, Role, &str)] = &[
    (
        "manager@fiber-x.demo",
        "Mina Manager",
        Role::BrandManager,
        "demo-manager-2026",
    ),
    (
        "warehouse@fiber-x.demo",
        "Walt Warehouse",
        Role::Warehouse,
        "demo-warehouse-2026",
    ),
    (
        "support@fiber-x.demo",
        "Sara Support",
        Role::Support,
        "demo-support-2026",
    ),
];

/// Seeds the demo owner and Fiber X's staff. Idempotent.
pub async fn demo_staff(db: &Db, tenants: &TenantResolver) -> Result<(), ApiError> {
    let (email, name, password) = DEMO_OWNER;
    match identity::create_owner(db, email, name, SecretString::from(password)).await {
        Ok(_) | Err(StaffError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let scope = tenants.scope_for_slug("fiber-x", Actor::System).await?;
    for (email, name, role, password) in DEMO_STAFF {
        identity::ensure_member(
            db,
            &scope,
            email,
            name,
            *role,
            SecretString::from(*password),
        )
        .await?;
    }
    Ok(())
}

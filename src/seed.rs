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
    tenants::{
        Actor, TenantError, TenantResolver, Theme, ThemeColors,
        service::{self, NewBrand},
    },
};

/// One demo brand.
pub struct DemoBrand {
    pub slug: &'static str,
    pub name: &'static str,
    pub sku_prefix: &'static str,
    pub currency: &'static str,
    pub colors: [&'static str; 4],
    pub font_family: &'static str,
    pub categories: &'static [(&'static str, &'static str)],
}

pub const DEMO_BRANDS: &[DemoBrand] = &[
    DemoBrand {
        slug: "fiber-x",
        name: "Fiber X",
        sku_prefix: "FBX",
        currency: "EUR",
        colors: ["#1f1f24", "#c8743a", "#f7f4ef", "#1f1f24"],
        font_family: "\"Archivo\", sans-serif",
        categories: &[("HAIR", "Hair care"), ("STYL", "Styling")],
    },
    DemoBrand {
        slug: "suzume",
        name: "Suzume",
        sku_prefix: "SZM",
        currency: "JPY",
        colors: ["#8a5a44", "#e9c9b5", "#fffaf6", "#3b2a22"],
        font_family: "\"Noto Serif JP\", serif",
        categories: &[("SKIN", "Skincare"), ("BODY", "Body care")],
    },
    DemoBrand {
        slug: "showstopper",
        name: "Showstopper",
        sku_prefix: "SHS",
        currency: "EUR",
        colors: ["#d6001c", "#111111", "#ffffff", "#111111"],
        font_family: "\"Bebas Neue\", \"Oswald\", sans-serif",
        categories: &[("STYL", "Styling tools"), ("HAIR", "Hair accessories")],
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
                logo_url: Some(format!("/static/{}/logo.svg", self.slug)),
            },
            features: Default::default(),
        }
    }
}

/// Seeds the demo brands. Returns the slugs seeded.
pub async fn demo(db: &Db, tenants: &TenantResolver) -> Result<Vec<&'static str>, ApiError> {
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
        db.tenant_tx(&scope, async |tx| {
            for (code, name) in brand.categories {
                catalog::repo::upsert_category(tx, code, name).await?;
            }
            Ok::<_, ApiError>(())
        })
        .await?;
    }
    Ok(DEMO_BRANDS.iter().map(|b| b.slug).collect())
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

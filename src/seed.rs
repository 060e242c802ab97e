//! Demo data for `brandhouse demo`: the three brands of the story, each with its own look.
//! Idempotent: brands that exist are left as they are; categories are upserted.

use secrecy::SecretString;

use crate::{
    catalog,
    db::Db,
    delivery::{
        RateBasis,
        pricing::Band,
        service::{self as delivery, MethodInput},
    },
    error::ApiError,
    error::DomainError,
    identity::{
        Role,
        service::{self as identity, StaffError},
    },
    orders::service::{self as orders, OrderSettingsChange},
    scope::{Actor, TenantScope},
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
                // Served by brandhouse with the storefront (web/shop/public/demo-brands/).
                logo_url: Nullable(Some(format!("/shop/demo-brands/{}/logo.svg", self.slug))),
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
        demo_delivery(db, &scope, brand.slug).await?;
        demo_promotion(db, &scope, brand.slug).await?;
        demo_translations(db, &scope, brand.slug).await?;
        report.brands.push(brand.slug);
    }
    Ok(report)
}

/// The demo brands' locales and translations (seed/demo-translations.json, embedded): per
/// brand, its locales and default, category names and product names and descriptions per
/// locale. Written by hand, as a brand's translator would, from the catalog's own text.
const DEMO_TRANSLATIONS: &str = include_str!("../seed/demo-translations.json");

#[derive(serde::Deserialize)]
struct TranslationsFile {
    locales: Vec<String>,
    default_locale: String,
    /// Category code -> locale -> name.
    categories: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// Product handle -> locale -> [name, description].
    products: std::collections::BTreeMap<String, std::collections::BTreeMap<String, [String; 2]>>,
}

/// Sets a demo brand's locales and writes its translations (again: idempotent).
async fn demo_translations(db: &Db, scope: &TenantScope, slug: &str) -> Result<(), ApiError> {
    let mut all: std::collections::HashMap<String, TranslationsFile> =
        serde_json::from_str(DEMO_TRANSLATIONS)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("seed/demo-translations.json: {e}")))?;
    let Some(file) = all.remove(slug) else {
        return Ok(());
    };
    catalog::translations::set_brand_locales(db, scope, &file.locales, &file.default_locale)
        .await?;
    for (code, names) in &file.categories {
        for (locale, name) in names {
            catalog::translations::put_category_translation(db, scope, code, locale, name).await?;
        }
    }
    let rows: Vec<catalog::translations::ImportedTranslation> = file
        .products
        .into_iter()
        .flat_map(|(handle, by_locale)| {
            by_locale
                .into_iter()
                .map(move |(locale, [name, description])| {
                    catalog::translations::ImportedTranslation {
                        handle: handle.clone(),
                        locale,
                        name: Some(name),
                        description: Some(description),
                    }
                })
        })
        .collect();
    db.tenant_tx(scope, async |tx| {
        catalog::translations::import_translations(tx, &rows).await
    })
    .await?;
    Ok(())
}

/// One demo shipping method: code, name, countries, basis, bands (min, max, price), free from.
type DemoMethod = (
    &'static str,
    &'static str,
    &'static [&'static str],
    RateBasis,
    &'static [(i64, Option<i64>, i64)],
    Option<i64>,
);

/// A demo brand's taxes and shipping: whether prices include tax, the origin country, rates
/// (country, class, basis points) and methods. Every brand has a `standard` method to DE, so one
/// storefront checkout body (address in Berlin, method `standard`) works in all three.
struct DemoDelivery {
    prices_include_tax: bool,
    tax_origin_country: Option<&'static str>,
    rates: &'static [(&'static str, &'static str, i32)],
    methods: &'static [DemoMethod],
}

const EU: &[&str] = &["AT", "BE", "DE", "ES", "FR", "IE", "IT", "NL"];

/// Fiber X and Suzume sell in the EU with VAT included in their prices; Showstopper ships
/// worldwide from outside the EU with prices before tax.
fn demo_delivery_of(slug: &str) -> Option<DemoDelivery> {
    let eu_vat: &[(&str, &str, i32)] = &[
        ("AT", "standard", 2000),
        ("AT", "reduced", 1000),
        ("BE", "standard", 2100),
        ("BE", "reduced", 600),
        ("DE", "standard", 1900),
        ("DE", "reduced", 700),
        ("ES", "standard", 2100),
        ("ES", "reduced", 1000),
        ("FR", "standard", 2000),
        ("FR", "reduced", 550),
        ("IE", "standard", 2300),
        ("IE", "reduced", 1350),
        ("IT", "standard", 2200),
        ("IT", "reduced", 1000),
        ("NL", "standard", 2100),
        ("NL", "reduced", 900),
    ];
    Some(match slug {
        "fiber-x" => DemoDelivery {
            prices_include_tax: true,
            tax_origin_country: Some("DE"),
            rates: eu_vat,
            methods: &[
                (
                    "standard",
                    "DHL Paket",
                    EU,
                    RateBasis::Subtotal,
                    &[(0, Some(5000), 490), (5000, None, 290)],
                    Some(7500),
                ),
                (
                    "express",
                    "DHL Express",
                    &["AT", "DE"],
                    RateBasis::Weight,
                    &[(0, Some(2000), 990), (2000, Some(20000), 1490)],
                    None,
                ),
            ],
        },
        "suzume" => DemoDelivery {
            prices_include_tax: true,
            tax_origin_country: Some("DE"),
            rates: eu_vat,
            methods: &[
                (
                    "standard",
                    "EU tracked",
                    EU,
                    RateBasis::Subtotal,
                    &[(0, None, 1200)],
                    Some(15000),
                ),
                (
                    "japan-post",
                    "Japan Post",
                    &["JP"],
                    RateBasis::Subtotal,
                    &[(0, None, 600)],
                    None,
                ),
            ],
        },
        "showstopper" => DemoDelivery {
            prices_include_tax: false,
            tax_origin_country: None,
            rates: &[
                ("AU", "standard", 1000),
                ("CH", "standard", 810),
                ("CH", "reduced", 260),
                ("GB", "standard", 2000),
                ("GB", "reduced", 500),
                ("NO", "standard", 2500),
            ],
            methods: &[
                (
                    "standard",
                    "Worldwide",
                    &["AU", "CA", "CH", "DE", "FR", "GB", "NO", "US"],
                    RateBasis::Subtotal,
                    &[(0, Some(10000), 1500), (10000, None, 0)],
                    None,
                ),
                (
                    "courier",
                    "Courier",
                    &["GB", "US"],
                    RateBasis::Weight,
                    &[(0, Some(5000), 2500)],
                    None,
                ),
            ],
        },
        _ => return None,
    })
}

/// Seeds a demo brand's tax settings, rates and shipping methods once: a brand that already has
/// its first method is left as it is (staff may have changed it since).
async fn demo_delivery(db: &Db, scope: &TenantScope, slug: &str) -> Result<(), ApiError> {
    let Some(demo) = demo_delivery_of(slug) else {
        return Ok(());
    };
    for (i, (code, name, countries, basis, bands, free)) in demo.methods.iter().enumerate() {
        let input = MethodInput {
            name: Some((*name).to_owned()),
            countries: Some(countries.iter().map(|c| (*c).to_owned()).collect()),
            rate_basis: Some(*basis),
            bands: Some(
                bands
                    .iter()
                    .map(|&(min, max, price_minor)| Band {
                        min,
                        max,
                        price_minor,
                    })
                    .collect(),
            ),
            free_over_minor: Some(*free),
            active: Some(true),
        };
        match delivery::create_method(db, scope, code, &input).await {
            Ok(_) => {}
            Err(DomainError::Conflict(_)) if i == 0 => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    for (country, class, rate) in demo.rates {
        delivery::set_rate(db, scope, country, class, *rate).await?;
    }
    let change = OrderSettingsChange {
        prices_include_tax: Some(demo.prices_include_tax),
        tax_origin_country: Some(demo.tax_origin_country.map(str::to_owned)),
        ..Default::default()
    };
    orders::update_order_settings(db, scope, &change).await?;
    Ok(())
}

/// Seeds a demo brand's `WELCOME10` once: the same code is a different promotion in each brand
/// (10 % off everything in Fiber X; 5.00 off a first order in Suzume). A code only: the demo's
/// orders, placed without it, keep their figures.
async fn demo_promotion(db: &Db, scope: &TenantScope, slug: &str) -> Result<(), ApiError> {
    use crate::promotions::{
        PromotionError, PromotionKind,
        service::{self as promotions, PromotionInput},
    };
    let input = match slug {
        "fiber-x" => PromotionInput {
            name: Some("Welcome: 10 % off".into()),
            code: Some(Some("WELCOME10".into())),
            kind: Some(PromotionKind::Percentage),
            percent_bp: Some(Some(1000)),
            usage_limit_per_customer: Some(Some(1)),
            ..Default::default()
        },
        "suzume" => PromotionInput {
            name: Some("Welcome: 5.00 off your first order".into()),
            code: Some(Some("WELCOME10".into())),
            kind: Some(PromotionKind::FixedAmount),
            amount_minor: Some(Some(500)),
            first_order_only: Some(true),
            ..Default::default()
        },
        _ => return Ok(()),
    };
    match promotions::create(db, scope, &input).await {
        Ok(_) | Err(PromotionError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
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

/// A demo brand's trade: where its customers live, its shipping method there, and the carrier
/// its parcels leave with.
struct DemoTrade {
    slug: &'static str,
    city: &'static str,
    postal_code: &'static str,
    country: &'static str,
    carrier: &'static str,
}

const DEMO_TRADE: &[DemoTrade] = &[
    DemoTrade {
        slug: "fiber-x",
        city: "Berlin",
        postal_code: "10115",
        country: "DE",
        carrier: "DHL",
    },
    DemoTrade {
        slug: "suzume",
        city: "Paris",
        postal_code: "75003",
        country: "FR",
        carrier: "Colissimo",
    },
    DemoTrade {
        slug: "showstopper",
        city: "London",
        postal_code: "EC1V 9HX",
        country: "GB",
        carrier: "Royal Mail",
    },
];

/// The shared zones of the demo warehouse: code, name, city, priority.
const DEMO_ZONES: &[(&str, &str, &str, i32)] = &[
    ("BER", "Berlin main hall", "Berlin", 10),
    ("RTM", "Rotterdam overflow", "Rotterdam", 20),
];

/// The orders each demo brand gets, by what happens to them after checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DemoOutcome {
    /// Left unpaid: it expires when its holds run out (`hold_minutes` into the demo).
    Pending,
    Paid,
    PartiallyShipped,
    Shipped,
    Cancelled,
    /// Cancelled, then the provider reports it paid: a human decides.
    PaymentConflict,
}

const DEMO_ORDERS: &[(DemoOutcome, &str)] = &[
    (DemoOutcome::Shipped, "Ana Weber"),
    (DemoOutcome::PartiallyShipped, "Ben Okafor"),
    (DemoOutcome::Paid, "Chloé Martin"),
    (DemoOutcome::Pending, "Dev Patel"),
    (DemoOutcome::Cancelled, "Eva Lindqvist"),
    (DemoOutcome::PaymentConflict, "Femi Adeyemi"),
];

/// Zones, stock and a handful of orders in every state for each demo brand, through the same
/// services as the API (checkout with an address and the brand's `standard` shipping method,
/// payment, shipments with tracking, cancellation), so `make demo` shows the whole flow: paid
/// orders get their invoices from the worker. A brand that has orders already is left alone.
pub async fn demo_trade(db: &Db, tenants: &TenantResolver) -> Result<usize, ApiError> {
    let mut placed = 0;
    for trade in DEMO_TRADE {
        let scope = tenants.scope_for_slug(trade.slug, Actor::System).await?;
        if let Some(skus) = demo_zones_and_stock(db, &scope).await? {
            for (n, (outcome, name)) in DEMO_ORDERS.iter().enumerate() {
                demo_order(db, &scope, trade, &skus, n, *outcome, name).await?;
                placed += 1;
            }
        }
    }
    Ok(placed)
}

/// The demo zones (once, shared), and 40 units of the first two variants of each of the brand's
/// first three active products in Berlin (10 more in Rotterdam); returns those SKUs. `None` when
/// the brand already has orders (nothing is done then).
async fn demo_zones_and_stock(
    db: &Db,
    scope: &TenantScope,
) -> Result<Option<Vec<String>>, ApiError> {
    let query = orders::OrderQuery {
        status: None,
        from: None,
        to: None,
        customer_email: None,
        before: None,
        limit: 1,
    };
    let existing = orders::list_orders(db, scope, &query).await?;
    if !existing.items.is_empty() {
        return Ok(None);
    }
    let zones = crate::inventory::service::list_zones(db, scope).await?;
    for (code, name, city, priority) in DEMO_ZONES {
        if !zones.iter().any(|z| z.code == *code) {
            let zone = crate::inventory::service::NewZone {
                code,
                name,
                city,
                region: "",
                priority: *priority,
                is_active: true,
            };
            crate::inventory::service::create_zone(db, &Actor::System, &zone).await?;
        }
    }
    let skus = demo_skus(db, scope).await?;
    for sku in &skus {
        crate::inventory::service::receive(db, scope, sku, "BER", 40, None).await?;
        crate::inventory::service::receive(db, scope, sku, "RTM", 10, None).await?;
    }
    Ok(Some(skus))
}

/// The SKUs the demo trades in: the first two active variants of the first three active
/// products.
async fn demo_skus(db: &Db, scope: &TenantScope) -> Result<Vec<String>, ApiError> {
    let products = catalog::service::list_products(
        db,
        scope,
        0,
        Some(catalog::status::ProductStatus::Active),
        None,
        3,
    )
    .await?;
    let mut skus = Vec::new();
    for p in products.items {
        let detail = catalog::service::product_detail(db, scope, p.number).await?;
        skus.extend(
            detail
                .variants
                .into_iter()
                .filter(|v| v.is_active)
                .take(2)
                .map(|v| v.sku),
        );
    }
    Ok(skus)
}

/// Places demo order `n` of a brand (two lines from `skus`) and takes it to `outcome`.
async fn demo_order(
    db: &Db,
    scope: &TenantScope,
    trade: &DemoTrade,
    skus: &[String],
    n: usize,
    outcome: DemoOutcome,
    name: &str,
) -> Result<(), ApiError> {
    use crate::orders::{
        checkout::{self, CheckoutInput, CustomerInput, LineInput},
        lifecycle,
        payment::{self, OrderRef, PaymentSource},
        shipment,
    };
    // Two lines: one unit of one SKU, two of the next (rotating through the demo SKUs).
    let lines: Vec<LineInput> = (0..2)
        .filter_map(|i| skus.get((n + i) % skus.len().max(1)))
        .enumerate()
        .map(|(i, sku)| LineInput {
            sku: sku.clone(),
            quantity: i as i32 + 1,
        })
        .collect();
    let email = format!(
        "{}@customers.demo",
        name.split(' ').next().unwrap_or("customer").to_lowercase()
    );
    let input = CheckoutInput {
        lines: lines.clone(),
        customer: CustomerInput {
            name: name.to_owned(),
            email,
            phone: None,
            preferred_language: None,
        },
        preferred_zone: None,
        shipping_address: Some(crate::types::AddressInput {
            name: name.to_owned(),
            line1: format!("{} Demo Street", 10 + n),
            line2: None,
            city: trade.city.to_owned(),
            postal_code: Some(trade.postal_code.to_owned()),
            region: None,
            country: trade.country.to_owned(),
            phone: None,
        }),
        billing_address: None,
        shipping_method: Some("standard".to_owned()),
        promo_codes: Vec::new(),
    };
    let key = format!("demo-order-{}-{n}", trade.slug);
    let (order, _) = checkout::checkout(db, scope, &key, &input).await?;
    let number = order.number;
    if matches!(
        outcome,
        DemoOutcome::Cancelled | DemoOutcome::PaymentConflict
    ) {
        lifecycle::cancel(db, scope, number).await?;
    }
    match outcome {
        DemoOutcome::Pending | DemoOutcome::Cancelled => return Ok(()),
        DemoOutcome::PaymentConflict => {
            let event = format!("demo-payment-{}-{n}", trade.slug);
            let source = PaymentSource::Provider {
                event_id: &event,
                amount_minor: order.total_minor,
                currency: &order.currency,
            };
            payment::confirm(db, scope, OrderRef::Number(number), source).await?;
            return Ok(());
        }
        DemoOutcome::Paid | DemoOutcome::PartiallyShipped | DemoOutcome::Shipped => {
            payment::confirm(db, scope, OrderRef::Number(number), PaymentSource::Staff).await?;
        }
    }
    let parcel = |lines: Option<Vec<shipment::LineInput>>| shipment::ShipmentInput {
        carrier: trade.carrier.to_owned(),
        tracking_number: Some(format!("DEMO{:04}{n}", number)),
        tracking_url: Some(format!(
            "https://tracking.example.com/{}/DEMO{:04}{n}",
            trade.slug, number
        )),
        zone: "BER".to_owned(),
        lines,
    };
    match outcome {
        DemoOutcome::PartiallyShipped => {
            let first = lines.first().map(|l| shipment::LineInput {
                sku: l.sku.clone(),
                quantity: l.quantity,
            });
            shipment::create(
                db,
                scope,
                number,
                &parcel(Some(first.into_iter().collect())),
            )
            .await?;
        }
        DemoOutcome::Shipped => {
            shipment::create(db, scope, number, &parcel(None)).await?;
        }
        _ => {}
    }
    Ok(())
}

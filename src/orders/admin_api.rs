//! Staff order endpoints: lists and details, payment by hand, cancellation, fulfilment
//! (shipments, the pick list), customers, the brand's order settings, and parked jobs.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
};
use uuid::Uuid;

use super::{
    Order, OrderAddress, Shipment, ShippingMethodRef, lifecycle,
    payment::{self, OrderRef, PaymentSource},
    service::{self, CustomerRow, OrderQuery, OrderSettings, OrderSettingsChange, PickRow},
    shipment::{self, Carrier, LineInput, ShipmentInput, TrackingNumber},
    status::OrderStatus,
};
use crate::{
    api::ApiTags,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    jobs,
    scope::{Actor, TenantScope},
    tenants::StaffBrand,
    types::{HttpsUrl, Nullable, Sku, Unchecked, ZoneCode},
};

#[derive(Object)]
#[oai(rename = "OrderSummary")]
pub struct OrderSummary {
    pub number: i32,
    pub status: OrderStatus,
    pub currency: String,
    pub total_minor: i64,
    pub created_at: DateTime<Utc>,
    pub paid_at: Nullable<DateTime<Utc>>,
    /// The name the order's checkout sent (not the customer's current one). Null for roles
    /// that may not read customers (`customers.read`), like the order's `customer`.
    pub customer_name: Nullable<String>,
    /// Null when the order has no email, or for roles that may not read customers.
    pub customer_email: Nullable<String>,
    pub line_count: i64,
}

#[derive(Object)]
#[oai(rename = "OrderPage")]
pub struct OrderPage {
    pub items: Vec<OrderSummary>,
    /// Pass as `before` for the next (older) page; `null` on the last page.
    pub next_before: Nullable<i32>,
}

#[derive(Object)]
#[oai(rename = "MarkPaidResult")]
pub struct MarkPaidResult {
    /// `confirmed`, `rereserved`, `already_paid` or `payment_conflict`.
    pub outcome: String,
    pub order: Order,
}

/// One order's share of a pick-list entry.
#[derive(Object)]
#[oai(rename = "PickListLine")]
pub struct PickListLine {
    /// The order's number.
    pub order: i32,
    /// Units of the SKU the order still has to ship from this zone.
    pub quantity: i64,
}

#[derive(Object)]
#[oai(rename = "PickListItem")]
pub struct PickListItem {
    pub zone: String,
    pub sku: String,
    pub product_name: String,
    /// Units still to ship from this zone: sold to paid or partially shipped orders and not
    /// in a shipment yet.
    pub quantity: i64,
    /// Numbers of the orders this quantity is for.
    pub orders: Vec<i32>,
    /// Where and how each of those orders ships, by order number. Shown to every role with
    /// `fulfilment` (the warehouse needs the address to ship), unlike the order views.
    pub deliveries: Vec<PickDelivery>,
    /// Per order, the units still to ship (ordered minus shipped), in the order of `orders`.
    pub lines: Vec<PickListLine>,
}

/// Where and how one order ships.
#[derive(Object)]
#[oai(rename = "PickDelivery")]
pub struct PickDelivery {
    pub order: i32,
    /// `null` when the brand had no shipping methods when the order was placed.
    pub shipping_method: Nullable<ShippingMethodRef>,
    /// `null` when the checkout gave none.
    pub shipping_address: Nullable<OrderAddress>,
}

/// Units of one SKU of the order in a shipment.
#[derive(Object)]
#[oai(rename = "CreateShipmentLine")]
pub struct CreateShipmentLine {
    pub sku: Unchecked<Sku>,
    /// At most the units of this SKU the order still has to ship (ordered minus shipped, over
    /// all its lines of the SKU); more is a 422 naming the line.
    pub quantity: i32,
}

#[derive(Object)]
#[oai(rename = "CreateShipmentRequest")]
pub struct CreateShipmentRequest {
    /// The carrier, e.g. `DHL` (1 to 100 characters).
    pub carrier: Unchecked<Carrier>,
    /// The parcel's tracking number (1 to 100 characters).
    pub tracking_number: Option<Unchecked<TrackingNumber>>,
    /// The carrier's tracking page for the parcel: an `https://` URL of at most 2,000
    /// characters (the customer sees it as a link).
    pub tracking_url: Option<Unchecked<HttpsUrl>>,
    /// The code of the zone the parcel leaves from. Units sold from another zone but picked
    /// here are moved in the ledger (`transfer_out` here, `transfer_in` there); this zone must
    /// have them available (409 otherwise).
    pub zone: Unchecked<ZoneCode>,
    /// What the parcel carries (1 to 100 lines); leave it out to ship every unit still to ship.
    pub lines: Option<Vec<CreateShipmentLine>>,
}

/// A shipment just recorded, and the order as it now is.
#[derive(Object)]
#[oai(rename = "RecordedShipment")]
pub struct RecordedShipment {
    pub shipment: Shipment,
    /// `partially_shipped`, or `shipped` when this shipment carried the last units.
    pub order: Order,
}

#[derive(ApiResponse)]
pub enum ShipmentCreated {
    /// Recorded.
    #[oai(status = 201)]
    Created(Json<RecordedShipment>),
}

#[derive(Object)]
#[oai(rename = "Customer")]
pub struct CustomerView {
    pub id: Uuid,
    pub name: String,
    pub email: Nullable<String>,
    pub phone: Nullable<String>,
    pub whatsapp_id: Nullable<String>,
    pub preferred_language: Nullable<String>,
    pub created_at: DateTime<Utc>,
    pub order_count: i64,
}

#[derive(Object)]
#[oai(rename = "BrandOrderSettings")]
pub struct BrandOrderSettings {
    /// How long checkout holds units for an unpaid order (1 to 1440 minutes; default 15).
    pub hold_minutes: i32,
    /// Whether a payment webhook secret is set (the secret itself is never returned).
    pub has_payment_webhook_secret: bool,
    /// Units of one SKU that one checkout may hold (1 to 1000; default 20). A line (or lines
    /// of one SKU) asking for more is a 422 naming `lines[i].quantity`.
    pub max_units_per_sku: i32,
    /// Unpaid orders still holding stock that one customer email may have at once, and
    /// separately one phone when the checkout gives one (1 to 100; default 3). A checkout over
    /// it is a 409 `open-order-limit` problem.
    pub max_open_orders_per_customer: i32,
    /// Whether catalog and shipping prices include tax (default false: tax is added at
    /// checkout). Placed orders keep the setting they were placed with.
    pub prices_include_tax: bool,
    /// The country (ISO 3166-1 alpha-2) whose rates tax a checkout without a shipping address;
    /// `null`: no tax then.
    pub tax_origin_country: Nullable<String>,
}

#[derive(Object)]
#[oai(rename = "UpdateBrandOrderSettings")]
pub struct UpdateBrandOrderSettings {
    pub hold_minutes: Option<i32>,
    /// The secret the payment provider signs callbacks with (16 to 200 characters); `null`
    /// removes it. Write-only.
    #[oai(nullable)]
    pub payment_webhook_secret: MaybeUndefined<String>,
    /// 1 to 1000.
    pub max_units_per_sku: Option<i32>,
    /// 1 to 100.
    pub max_open_orders_per_customer: Option<i32>,
    pub prices_include_tax: Option<bool>,
    /// ISO 3166-1 alpha-2; `null` removes it.
    #[oai(nullable)]
    pub tax_origin_country: MaybeUndefined<String>,
}

#[derive(Object)]
#[oai(rename = "ParkedJob")]
pub struct ParkedJobView {
    pub id: i64,
    pub brand: String,
    pub kind: String,
    pub reference: String,
    pub attempts: i32,
    pub last_error: Nullable<String>,
    pub parked_at: DateTime<Utc>,
}

impl From<service::OrderSummary> for OrderSummary {
    fn from(o: service::OrderSummary) -> Self {
        Self {
            number: o.number,
            status: o.status,
            currency: o.currency,
            total_minor: o.total_minor,
            created_at: o.created_at,
            paid_at: o.paid_at.into(),
            customer_name: Some(o.customer_name).into(),
            customer_email: o.customer_email.into(),
            line_count: o.line_count,
        }
    }
}

impl From<PickRow> for PickListItem {
    fn from(r: PickRow) -> Self {
        Self {
            zone: r.zone_code,
            sku: r.sku,
            product_name: r.product_name,
            quantity: r.quantity,
            lines: r
                .orders
                .iter()
                .zip(&r.order_quantities)
                .map(|(order, quantity)| PickListLine {
                    order: *order,
                    quantity: *quantity,
                })
                .collect(),
            orders: r.orders,
            deliveries: r
                .deliveries
                .into_iter()
                .map(|d| PickDelivery {
                    order: d.order,
                    shipping_method: d
                        .shipping_method_code
                        .map(|code| ShippingMethodRef {
                            name: d.shipping_method_name.unwrap_or_else(|| code.clone()),
                            code,
                        })
                        .into(),
                    shipping_address: d.shipping_address.map(OrderAddress::from).into(),
                })
                .collect(),
        }
    }
}

impl From<CustomerRow> for CustomerView {
    fn from(c: CustomerRow) -> Self {
        Self {
            id: c.id,
            name: c.name,
            email: c.email.into(),
            phone: c.phone.into(),
            whatsapp_id: c.whatsapp_id.into(),
            preferred_language: c.preferred_language.into(),
            created_at: c.created_at,
            order_count: c.order_count,
        }
    }
}

impl From<OrderSettings> for BrandOrderSettings {
    fn from(s: OrderSettings) -> Self {
        Self {
            hold_minutes: s.hold_minutes,
            has_payment_webhook_secret: s.has_payment_webhook_secret,
            max_units_per_sku: s.max_units_per_sku,
            max_open_orders_per_customer: s.max_open_orders_per_customer,
            prices_include_tax: s.prices_include_tax,
            tax_origin_country: s.tax_origin_country.into(),
        }
    }
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct OrdersAdminApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// The brand-keyed storefront cache (invalidated after catalog and stock writes).
    pub cache: crate::cache::Cache,
}

/// Whether the scope's staff role may read customers (`customers.read`); orders shown to
/// other roles (warehouse) leave out who placed them.
fn shows_customers(scope: &TenantScope) -> bool {
    match scope.actor() {
        Actor::Staff { role, .. } => Permission::CustomersRead.allows(*role),
        Actor::Account { .. } | Actor::Storefront | Actor::System => false,
    }
}

/// The order as the scope's role may see it.
fn for_role(scope: &TenantScope, mut order: Order) -> Order {
    if !shows_customers(scope) {
        order.customer = None.into();
        order.shipping_address = None.into();
        order.billing_address = None.into();
    }
    order
}

#[OpenApi]
impl OrdersAdminApi {
    /// The brand's orders, newest first, filtered by status, creation time and customer email.
    ///
    /// Permission `orders.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/orders",
        method = "get",
        operation_id = "listOrders",
        tag = "ApiTags::Orders"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per query parameter"
    )]
    async fn list(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        status: Query<Option<OrderStatus>>,
        /// Created at or after.
        from: Query<Option<DateTime<Utc>>>,
        /// Created before.
        to: Query<Option<DateTime<Utc>>>,
        customer_email: Query<Option<String>>,
        /// The `next_before` of the previous page.
        before: Query<Option<i32>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
    ) -> Result<Json<OrderPage>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::OrdersRead)?;
        let shows = shows_customers(&scope);
        if customer_email.0.is_some() && !shows {
            return Err(ApiError::forbidden(
                "filtering by customer_email needs customers.read (roles owner, brand_manager, support)",
            ));
        }
        let page = service::list_orders(
            &self.db,
            &scope,
            &OrderQuery {
                status: status.0,
                from: from.0,
                to: to.0,
                customer_email: customer_email.0.as_deref(),
                before: before.0,
                limit: limit.0.unwrap_or(50) as usize,
            },
        )
        .await?;
        Ok(Json(OrderPage {
            items: page
                .items
                .into_iter()
                .map(|o| {
                    let mut o = OrderSummary::from(o);
                    if !shows {
                        o.customer_name = None.into();
                        o.customer_email = None.into();
                    }
                    o
                })
                .collect(),
            next_before: page.next_before.into(),
        }))
    }

    /// One order with its lines, holds (allocations) and stock movements.
    ///
    /// Permission `orders.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/orders/:number",
        method = "get",
        operation_id = "getOrder",
        tag = "ApiTags::Orders"
    )]
    async fn get(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Json<Order>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::OrdersRead)?;
        let order = service::staff_order(&self.db, &scope, number.0).await?;
        Ok(Json(for_role(&scope, order)))
    }

    /// Marks an order paid by hand (e.g. a bank transfer). Same rules as the provider's
    /// callback: exactly once; after expiry, the units are taken again if stock allows.
    ///
    /// Permission `orders.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/orders/:number/mark-paid",
        method = "post",
        operation_id = "markOrderPaid",
        tag = "ApiTags::Orders"
    )]
    async fn mark_paid(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Json<MarkPaidResult>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::OrdersManage)?;
        let (outcome, order) = payment::confirm(
            &self.db,
            &scope,
            OrderRef::Number(number.0),
            PaymentSource::Staff,
        )
        .await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Json(MarkPaidResult {
            outcome: outcome.as_str().into(),
            order: for_role(&scope, order),
        }))
    }

    /// Cancels an unpaid order and releases its holds. Paid, partially shipped and shipped
    /// orders: 409.
    ///
    /// Permission `orders.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/orders/:number/cancel",
        method = "post",
        operation_id = "cancelOrder",
        tag = "ApiTags::Orders"
    )]
    async fn cancel(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Json<Order>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::OrdersManage)?;
        let order = lifecycle::cancel(&self.db, &scope, number.0).await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Json(for_role(&scope, order)))
    }

    /// Ships every unit the order still has to ship, without carrier or tracking: one
    /// shipment per zone the units were sold from (no stock moves), and the order becomes
    /// `shipped`. For paid and partially shipped orders; any other status: 409. Kept for
    /// clients that predate shipments; `POST /v1/admin/orders/{number}/shipments` records a
    /// parcel with its carrier and tracking.
    ///
    /// Permission `fulfilment`: roles owner, brand_manager, warehouse.
    #[oai(
        path = "/v1/admin/orders/:number/ship",
        method = "post",
        operation_id = "shipOrder",
        tag = "ApiTags::Orders"
    )]
    async fn ship(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Json<Order>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::Fulfilment)?;
        let order = shipment::ship_remaining(&self.db, &scope, number.0).await?;
        Ok(Json(for_role(&scope, order)))
    }

    /// Records a parcel of a paid or partially shipped order: carrier, tracking number and
    /// link, the zone it leaves from, and the units of each SKU it carries (or, without
    /// `lines`, every unit still to ship). Per SKU at most what was ordered minus what earlier
    /// shipments carried (422 naming the line); another status than `paid` or
    /// `partially_shipped`: 409. The order becomes `partially_shipped`, or `shipped` when
    /// nothing is left to ship. Units sold from another zone than `zone` are moved in the
    /// ledger to match what physically left (409 when `zone` lacks them). Writes the
    /// `shipment.created` event (and `order.shipped` with the last parcel).
    ///
    /// Permission `fulfilment`: roles owner, brand_manager, warehouse.
    #[oai(
        path = "/v1/admin/orders/:number/shipments",
        method = "post",
        operation_id = "createShipment",
        tag = "ApiTags::Orders"
    )]
    async fn create_shipment(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
        body: Json<CreateShipmentRequest>,
    ) -> Result<ShipmentCreated, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::Fulfilment)?;
        let b = body.0;
        let input = ShipmentInput {
            carrier: b.carrier.into_string(),
            tracking_number: b.tracking_number.map(Unchecked::into_string),
            tracking_url: b.tracking_url.map(Unchecked::into_string),
            zone: b.zone.into_string(),
            lines: b.lines.map(|lines| {
                lines
                    .into_iter()
                    .map(|l| LineInput {
                        sku: l.sku.into_string(),
                        quantity: l.quantity,
                    })
                    .collect()
            }),
        };
        let (shipment, order) = shipment::create(&self.db, &scope, number.0, &input).await?;
        // A swap between zones changed what the storefront shows as available.
        self.cache.invalidate_catalog(&scope).await;
        Ok(ShipmentCreated::Created(Json(RecordedShipment {
            shipment,
            order: for_role(&scope, order),
        })))
    }

    /// The order's shipments, in the order they left, with their carriers, tracking and lines.
    ///
    /// Permission `orders.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/orders/:number/shipments",
        method = "get",
        operation_id = "listShipments",
        tag = "ApiTags::Orders"
    )]
    async fn list_shipments(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Json<Vec<Shipment>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::OrdersRead)?;
        Ok(Json(shipment::list(&self.db, &scope, number.0).await?))
    }

    /// What is still to pick for paid and partially shipped orders, per zone and SKU: units
    /// sold from the zone and not shipped yet, with each order's share, and where and how each
    /// of those orders ships (its shipping address and method).
    ///
    /// Permission `fulfilment`: roles owner, brand_manager, warehouse.
    #[oai(
        path = "/v1/admin/fulfilment/pick-list",
        method = "get",
        operation_id = "getPickList",
        tag = "ApiTags::Orders"
    )]
    async fn pick_list(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        zone: Query<Option<String>>,
    ) -> Result<Json<Vec<PickListItem>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::Fulfilment)?;
        let rows = service::pick_list(&self.db, &scope, zone.0.as_deref()).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// The brand's customers, newest first; `q` filters by name or email.
    ///
    /// Permission `customers.read`: roles owner, brand_manager, support.
    #[oai(
        path = "/v1/admin/customers",
        method = "get",
        operation_id = "listCustomers",
        tag = "ApiTags::Orders"
    )]
    async fn customers(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        #[oai(validator(max_length = 200))] q: Query<Option<String>>,
    ) -> Result<Json<Vec<CustomerView>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CustomersRead)?;
        let rows = service::customers(&self.db, &scope, q.0.as_deref()).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// The brand's order settings.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/brand/order-settings",
        method = "get",
        operation_id = "getOrderSettings",
        tag = "ApiTags::Orders"
    )]
    async fn get_settings(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<BrandOrderSettings>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let settings = service::order_settings(&self.db, &scope).await?;
        Ok(Json(settings.into()))
    }

    /// Changes the brand's hold time, payment webhook secret, checkout caps and tax settings.
    ///
    /// Permission `brand.settings`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/brand/order-settings",
        method = "patch",
        operation_id = "updateOrderSettings",
        tag = "ApiTags::Orders"
    )]
    async fn update_settings(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<UpdateBrandOrderSettings>,
    ) -> Result<Json<BrandOrderSettings>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::BrandSettings)?;
        let b = body.0;
        let change = OrderSettingsChange {
            hold_minutes: b.hold_minutes,
            payment_webhook_secret: match b.payment_webhook_secret {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(s) => Some(Some(s)),
            },
            max_units_per_sku: b.max_units_per_sku,
            max_open_orders_per_customer: b.max_open_orders_per_customer,
            prices_include_tax: b.prices_include_tax,
            tax_origin_country: match b.tax_origin_country {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(c) => Some(Some(c)),
            },
        };
        let settings = service::update_order_settings(&self.db, &scope, &change).await?;
        Ok(Json(settings.into()))
    }

    /// Jobs that kept failing and were parked, with their last error, across brands.
    ///
    /// Permission `jobs.view`: role owner.
    #[oai(
        path = "/v1/admin/jobs/parked",
        method = "get",
        operation_id = "listParkedJobs",
        tag = "ApiTags::Orders"
    )]
    async fn parked_jobs(&self, auth: StaffAuth) -> Result<Json<Vec<ParkedJobView>>, ApiError> {
        let actor = auth.0.authorize_company(Permission::JobsView)?;
        let jobs = jobs::parked(&self.db, &actor, 200).await?;
        Ok(Json(
            jobs.into_iter()
                .map(|j| ParkedJobView {
                    id: j.id,
                    brand: j.brand,
                    kind: j.kind,
                    reference: j.reference,
                    attempts: j.attempts,
                    last_error: j.last_error.into(),
                    parked_at: j.parked_at,
                })
                .collect(),
        ))
    }
}

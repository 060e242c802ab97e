//! Warehouse endpoints: zones, stock, receiving, adjustments, transfers, the ledger.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    movement::MovementKind,
    service::{self, LowStockRow, MovementRow, NewZone, StockRowView, ZoneRow, ZoneUpdate},
};
use crate::{
    api::ApiTags,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    tenants::StaffBrand,
    types::{Nullable, Sku, Unchecked, ZoneCode},
};

#[derive(Object)]
#[oai(rename = "Zone")]
pub struct Zone {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub city: String,
    pub region: String,
    /// Allocation order after a customer's preferred zone: lower first, then by code.
    pub priority: i32,
    pub is_active: bool,
}

impl From<ZoneRow> for Zone {
    fn from(z: ZoneRow) -> Self {
        Self {
            id: z.id,
            code: z.code,
            name: z.name,
            city: z.city,
            region: z.region,
            priority: z.priority,
            is_active: z.is_active,
        }
    }
}

#[derive(Object)]
#[oai(rename = "CreateZoneRequest")]
pub struct CreateZoneRequest {
    pub code: String,
    pub name: String,
    #[oai(default)]
    pub city: String,
    #[oai(default)]
    pub region: String,
    pub priority: Option<i32>,
    pub is_active: Option<bool>,
}

#[derive(Object)]
#[oai(rename = "UpdateZoneRequest")]
pub struct UpdateZoneRequest {
    pub name: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub priority: Option<i32>,
    pub is_active: Option<bool>,
}

#[derive(Object)]
#[oai(rename = "ReceiveStockRequest")]
pub struct ReceiveStockRequest {
    pub sku: Unchecked<Sku>,
    pub zone: Unchecked<ZoneCode>,
    pub quantity: i32,
    pub reason: Option<String>,
}

#[derive(Object)]
#[oai(rename = "AdjustStockRequest")]
pub struct AdjustStockRequest {
    pub sku: Unchecked<Sku>,
    pub zone: Unchecked<ZoneCode>,
    /// Units to add (positive) or remove (negative).
    pub delta: i32,
    /// Why (a count, damage, a find): required.
    pub reason: Option<String>,
}

#[derive(Object)]
#[oai(rename = "TransferStockRequest")]
pub struct TransferStockRequest {
    pub sku: Unchecked<Sku>,
    pub from_zone: Unchecked<ZoneCode>,
    pub to_zone: Unchecked<ZoneCode>,
    pub quantity: i32,
}

/// One stock row after a change.
#[derive(Object)]
#[oai(rename = "StockLevel")]
pub struct StockLevel {
    pub sku: String,
    pub zone: String,
    pub on_hand: i32,
    /// Units held for unpaid orders.
    pub reserved: i32,
}

#[derive(Object)]
#[oai(rename = "TransferResult")]
pub struct TransferResult {
    pub from: StockLevel,
    pub to: StockLevel,
}

#[derive(Object)]
#[oai(rename = "StockRow")]
pub struct StockRow {
    pub sku: String,
    pub zone: String,
    pub on_hand: i32,
    pub reserved: i32,
    /// Units that can be ordered: on hand minus unexpired holds.
    pub available: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
#[oai(rename = "LowStockItem")]
pub struct LowStockItem {
    pub sku: String,
    pub product_name: String,
    pub reorder_threshold: i32,
    pub available: i64,
}

#[derive(Object)]
#[oai(rename = "StockMovement")]
/// One entry of the brand's stock ledger, newest first. Entries carry no id: the ledger's
/// numbering is shared by every brand, so an id would tell one brand how much others move.
pub struct StockMovement {
    pub zone: String,
    /// receive, adjust, transfer_out, transfer_in, reserve, release, expire, sale, cancel.
    pub kind: MovementKind,
    pub on_hand_delta: i32,
    pub reserved_delta: i32,
    pub reason: Nullable<String>,
    pub order_number: Nullable<i32>,
    pub user_id: Nullable<Uuid>,
    pub role: Nullable<String>,
    pub at: DateTime<Utc>,
}

impl From<StockRowView> for StockRow {
    fn from(r: StockRowView) -> Self {
        Self {
            sku: r.sku,
            zone: r.zone_code,
            on_hand: r.on_hand,
            reserved: r.reserved,
            available: r.available,
            updated_at: r.updated_at,
        }
    }
}

impl From<LowStockRow> for LowStockItem {
    fn from(r: LowStockRow) -> Self {
        Self {
            sku: r.sku,
            product_name: r.product_name,
            reorder_threshold: r.reorder_threshold,
            available: r.available,
        }
    }
}

impl From<MovementRow> for StockMovement {
    fn from(m: MovementRow) -> Self {
        Self {
            zone: m.zone_code,
            kind: m.kind,
            on_hand_delta: m.on_hand_delta,
            reserved_delta: m.reserved_delta,
            reason: m.reason.into(),
            order_number: m.order_number.into(),
            user_id: m.user_id.into(),
            role: m.role.into(),
            at: m.at,
        }
    }
}

#[derive(ApiResponse)]
pub enum CreatedZone {
    #[oai(status = 201)]
    Created(Json<Zone>),
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    Done,
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct InventoryApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// The brand-keyed storefront cache (invalidated after catalog and stock writes).
    pub cache: crate::cache::Cache,
}

#[OpenApi]
impl InventoryApi {
    /// The shared warehouse zones.
    ///
    /// Permission `stock.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/zones",
        method = "get",
        operation_id = "listZones",
        tag = "ApiTags::Inventory"
    )]
    async fn list_zones(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Vec<Zone>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StockRead)?;
        let zones = service::list_zones(&self.db, &scope).await?;
        Ok(Json(zones.into_iter().map(Into::into).collect()))
    }

    /// Creates a warehouse zone (shared by every brand).
    ///
    /// Permission `zones.manage`: role owner.
    #[oai(
        path = "/v1/admin/zones",
        method = "post",
        operation_id = "createZone",
        tag = "ApiTags::Inventory"
    )]
    async fn create_zone(
        &self,
        auth: StaffAuth,
        body: Json<CreateZoneRequest>,
    ) -> Result<CreatedZone, ApiError> {
        let actor = auth.0.authorize_company(Permission::ZonesManage)?;
        let b = body.0;
        let id = service::create_zone(
            &self.db,
            &actor,
            &NewZone {
                code: &b.code,
                name: b.name.trim(),
                city: b.city.trim(),
                region: b.region.trim(),
                priority: b.priority.unwrap_or(100),
                is_active: b.is_active.unwrap_or(true),
            },
        )
        .await?;
        Ok(CreatedZone::Created(Json(Zone {
            id,
            code: b.code,
            name: b.name.trim().to_owned(),
            city: b.city.trim().to_owned(),
            region: b.region.trim().to_owned(),
            priority: b.priority.unwrap_or(100),
            is_active: b.is_active.unwrap_or(true),
        })))
    }

    /// Changes a zone; deactivating one stops allocating from it.
    ///
    /// Permission `zones.manage`: role owner.
    #[oai(
        path = "/v1/admin/zones/:code",
        method = "patch",
        operation_id = "updateZone",
        tag = "ApiTags::Inventory"
    )]
    async fn update_zone(
        &self,
        auth: StaffAuth,
        code: Path<String>,
        body: Json<UpdateZoneRequest>,
    ) -> Result<Done, ApiError> {
        let actor = auth.0.authorize_company(Permission::ZonesManage)?;
        let b = body.0;
        service::update_zone(
            &self.db,
            &actor,
            &code.0,
            &ZoneUpdate {
                name: b.name.map(|n| n.trim().to_owned()),
                city: b.city,
                region: b.region,
                priority: b.priority,
                is_active: b.is_active,
            },
        )
        .await?;
        Ok(Done::Done)
    }

    /// Receives units of a SKU into a zone.
    ///
    /// Permission `stock.write`: roles owner, brand_manager, warehouse.
    #[oai(
        path = "/v1/admin/stock/receive",
        method = "post",
        operation_id = "receiveStock",
        tag = "ApiTags::Inventory"
    )]
    async fn receive(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<ReceiveStockRequest>,
    ) -> Result<Json<StockLevel>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StockWrite)?;
        let b = body.0;
        let row = service::receive(&self.db, &scope, &b.sku, &b.zone, b.quantity, b.reason).await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Json(StockLevel {
            sku: b.sku.into_string(),
            zone: b.zone.into_string(),
            on_hand: row.on_hand,
            reserved: row.reserved,
        }))
    }

    /// Corrects the units on the shelf, with a reason; never below the units held for orders.
    ///
    /// Permission `stock.write`: roles owner, brand_manager, warehouse.
    #[oai(
        path = "/v1/admin/stock/adjust",
        method = "post",
        operation_id = "adjustStock",
        tag = "ApiTags::Inventory"
    )]
    async fn adjust(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<AdjustStockRequest>,
    ) -> Result<Json<StockLevel>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StockWrite)?;
        let b = body.0;
        let row = service::adjust(&self.db, &scope, &b.sku, &b.zone, b.delta, b.reason).await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Json(StockLevel {
            sku: b.sku.into_string(),
            zone: b.zone.into_string(),
            on_hand: row.on_hand,
            reserved: row.reserved,
        }))
    }

    /// Moves units of a SKU between zones, atomically.
    ///
    /// Permission `stock.write`: roles owner, brand_manager, warehouse.
    #[oai(
        path = "/v1/admin/stock/transfer",
        method = "post",
        operation_id = "transferStock",
        tag = "ApiTags::Inventory"
    )]
    async fn transfer(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        body: Json<TransferStockRequest>,
    ) -> Result<Json<TransferResult>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StockWrite)?;
        let b = body.0;
        let (from, to) = service::transfer(
            &self.db,
            &scope,
            &b.sku,
            &b.from_zone,
            &b.to_zone,
            b.quantity,
        )
        .await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(Json(TransferResult {
            from: StockLevel {
                sku: b.sku.as_str().to_owned(),
                zone: b.from_zone.into_string(),
                on_hand: from.on_hand,
                reserved: from.reserved,
            },
            to: StockLevel {
                sku: b.sku.into_string(),
                zone: b.to_zone.into_string(),
                on_hand: to.on_hand,
                reserved: to.reserved,
            },
        }))
    }

    /// Stock rows by zone and/or SKU.
    ///
    /// Permission `stock.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/stock",
        method = "get",
        operation_id = "listStock",
        tag = "ApiTags::Inventory"
    )]
    async fn list_stock(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        zone: Query<Option<String>>,
        sku: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))] limit: Query<Option<u32>>,
    ) -> Result<Json<Vec<StockRow>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StockRead)?;
        let limit = i64::from(limit.0.unwrap_or(200));
        let rows =
            service::stock(&self.db, &scope, zone.0.as_deref(), sku.0.as_deref(), limit).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Variants whose available units (all active zones) are below their reorder threshold.
    ///
    /// Permission `stock.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/stock/low",
        method = "get",
        operation_id = "listLowStock",
        tag = "ApiTags::Inventory"
    )]
    async fn low_stock(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
    ) -> Result<Json<Vec<LowStockItem>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StockRead)?;
        let rows = service::low_stock(&self.db, &scope).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// A SKU's movement history, newest first: every change of its stock, with who and why.
    ///
    /// Permission `stock.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/stock/movements",
        method = "get",
        operation_id = "listStockMovements",
        tag = "ApiTags::Inventory"
    )]
    async fn movements(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        sku: Query<String>,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))] limit: Query<Option<u32>>,
    ) -> Result<Json<Vec<StockMovement>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::StockRead)?;
        let limit = i64::from(limit.0.unwrap_or(200));
        let rows = service::movements(&self.db, &scope, &sku.0, limit).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }
}

//! Staff endpoints of returns and refunds: request, approve or reject, and receive a return;
//! request a refund (idempotent by key); read an order's returns and refunds.

use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path},
    payload::Json,
};
use uuid::Uuid;

use super::{
    OrderRefunds, Refund, Return,
    refunds::{self, RefundInput},
    service::{self, LineInput, ReceiveInput, ReceiveLineInput, ReturnInput},
};
use crate::{
    api::ApiTags,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    tenants::StaffBrand,
    types::{Sku, Unchecked, ZoneCode},
};

/// Units of one SKU of the order.
#[derive(Object)]
#[oai(rename = "ReturnRequestLine")]
pub struct RequestLine {
    pub sku: Unchecked<Sku>,
    /// 1 to 1,000,000; per SKU at most what is allowed (422 naming the line otherwise).
    pub quantity: i32,
}

#[derive(Object)]
#[oai(rename = "CreateReturnRequest")]
pub struct CreateReturnRequest {
    /// Why the customer sends the units back (1 to 1,000 characters).
    pub reason: String,
    /// 1 to 100 lines; per SKU at most the units that shipped and are not in another return
    /// (requested, approved or received).
    pub lines: Vec<RequestLine>,
}

#[derive(Object)]
#[oai(rename = "ReturnDecision")]
pub struct Decision {
    /// A note (1 to 1,000 characters), e.g. why the return is rejected.
    pub note: Option<String>,
}

/// How the units of one SKU of the return arrived.
#[derive(Object)]
#[oai(rename = "ReceiveReturnLine")]
pub struct ReceiveLine {
    pub sku: Unchecked<Sku>,
    /// Units back into stock in `zone` (a `return` movement).
    pub resellable: i32,
    /// Units that cannot be sold again (they arrive and leave the books at once: `return`
    /// then `write_off`).
    pub written_off: i32,
    /// Why they are written off (1 to 500 characters; required when `written_off` > 0).
    pub write_off_reason: Option<String>,
}

#[derive(Object)]
#[oai(rename = "ReceiveReturnRequest")]
pub struct ReceiveRequest {
    /// The code of the zone the units arrive in.
    pub zone: Unchecked<ZoneCode>,
    /// Per SKU of the return, resellable + written_off must be its units; leave it out when
    /// every unit is resellable.
    pub lines: Option<Vec<ReceiveLine>>,
}

#[derive(Object)]
#[oai(rename = "CreateRefundRequest")]
pub struct CreateRefundRequest {
    /// Units of the order's SKUs to pay back, each at its share of the line's total (tax
    /// included); per SKU at most the units not refunded yet.
    pub lines: Option<Vec<RequestLine>>,
    /// Pay back the shipping (its price and tax; once per order).
    pub shipping: Option<bool>,
    /// A free amount on top, in minor units (1 to 10^12).
    pub amount_minor: Option<i64>,
    /// Why (1 to 1,000 characters).
    pub reason: Option<String>,
    /// The return this refund pays back (one of the order's).
    pub return_id: Option<Uuid>,
}

#[derive(ApiResponse)]
pub enum ReturnCreated {
    /// Requested.
    #[oai(status = 201)]
    Created(Json<Return>),
}

#[derive(ApiResponse)]
pub enum RefundCreated {
    /// Requested: the `refund.requested` event went out to the payment provider's webhook.
    #[oai(status = 201)]
    Created(Json<Refund>),
    /// A retry with the same Idempotency-Key and request: the same refund, nothing requested
    /// twice.
    #[oai(status = 200)]
    Replayed(Json<Refund>, #[oai(header = "Idempotent-Replayed")] String),
}

fn lines(lines: Vec<RequestLine>) -> Vec<LineInput> {
    lines
        .into_iter()
        .map(|l| LineInput {
            sku: l.sku.into_string(),
            quantity: l.quantity,
        })
        .collect()
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct ReturnsAdminApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// The brand-keyed storefront cache (invalidated when units come back into stock).
    pub cache: crate::cache::Cache,
}

#[OpenApi]
impl ReturnsAdminApi {
    /// Requests a return of units of a shipped order: per SKU at most the units that left the
    /// warehouse and are not in another return (422 naming the line); an order that shipped
    /// nothing: 409. Writes the `return.requested` event. The return waits for a manager's
    /// approval.
    ///
    /// Permission `returns.request`: roles owner, brand_manager, support.
    #[oai(
        path = "/v1/admin/orders/:number/returns",
        method = "post",
        operation_id = "createReturn",
        tag = "ApiTags::Orders"
    )]
    async fn create(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
        body: Json<CreateReturnRequest>,
    ) -> Result<ReturnCreated, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ReturnsRequest)?;
        let input = ReturnInput {
            reason: body.0.reason,
            lines: lines(body.0.lines),
        };
        let r = service::request(&self.db, &scope, number.0, &input).await?;
        Ok(ReturnCreated::Created(Json(r)))
    }

    /// The order's returns, oldest first.
    ///
    /// Permission `orders.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/orders/:number/returns",
        method = "get",
        operation_id = "listOrderReturns",
        tag = "ApiTags::Orders"
    )]
    async fn list(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Json<Vec<Return>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::OrdersRead)?;
        Ok(Json(service::for_order(&self.db, &scope, number.0).await?))
    }

    /// One return with its lines (another brand's: 404).
    ///
    /// Permission `orders.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/returns/:id",
        method = "get",
        operation_id = "getReturn",
        tag = "ApiTags::Orders"
    )]
    async fn get(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
    ) -> Result<Json<Return>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::OrdersRead)?;
        Ok(Json(service::get(&self.db, &scope, id.0).await?))
    }

    /// Approves a requested return: the warehouse may receive it. Another status: 409.
    ///
    /// Permission `returns.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/returns/:id/approve",
        method = "post",
        operation_id = "approveReturn",
        tag = "ApiTags::Orders"
    )]
    async fn approve(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
        body: Json<Decision>,
    ) -> Result<Json<Return>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ReturnsManage)?;
        let r = service::decide(&self.db, &scope, id.0, true, body.0.note.as_deref()).await?;
        Ok(Json(r))
    }

    /// Rejects a requested return (its units may be asked for again). Another status: 409.
    ///
    /// Permission `returns.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/returns/:id/reject",
        method = "post",
        operation_id = "rejectReturn",
        tag = "ApiTags::Orders"
    )]
    async fn reject(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
        body: Json<Decision>,
    ) -> Result<Json<Return>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::ReturnsManage)?;
        let r = service::decide(&self.db, &scope, id.0, false, body.0.note.as_deref()).await?;
        Ok(Json(r))
    }

    /// Receives an approved return into a zone, through the ledger: every unit arrives
    /// (`return`, `on_hand` up) and the written-off ones leave the books at once (`write_off`
    /// with the reason). Another status: 409. Writes the `return.received` event. Refunding
    /// it is a separate step (`POST /v1/admin/orders/{number}/refunds` with its `return_id`).
    ///
    /// Permission `fulfilment`: roles owner, brand_manager, warehouse.
    #[oai(
        path = "/v1/admin/returns/:id/receive",
        method = "post",
        operation_id = "receiveReturn",
        tag = "ApiTags::Orders"
    )]
    async fn receive(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
        body: Json<ReceiveRequest>,
    ) -> Result<Json<Return>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::Fulfilment)?;
        let b = body.0;
        let input = ReceiveInput {
            zone: b.zone.into_string(),
            lines: b.lines.map(|lines| {
                lines
                    .into_iter()
                    .map(|l| ReceiveLineInput {
                        sku: l.sku.into_string(),
                        resellable: l.resellable,
                        written_off: l.written_off,
                        write_off_reason: l.write_off_reason,
                    })
                    .collect()
            }),
        };
        let r = service::receive(&self.db, &scope, id.0, &input).await?;
        // Units came back on a shelf.
        self.cache.invalidate_catalog(&scope).await;
        Ok(Json(r))
    }

    /// Requests a refund of a paid (or shipped, or partly refunded) order: units of its lines
    /// (their share of each line's total, tax included), its shipping (once), and/or a free
    /// amount. Never more than the order captured minus its earlier refunds that did not fail
    /// (409 `refund-exceeds-captured`). Retrying with the same `Idempotency-Key` and request
    /// returns the same refund (200, `Idempotent-Replayed: true`); the key with another
    /// request is 422. The refund is sent to the payment provider as the `refund.requested`
    /// event (subscribe a webhook to it) and settled by its signed callback
    /// (`POST /v1/payments/callback` with `status` `refunded` or `refund_failed` and the
    /// `refund_id`).
    ///
    /// Permission `refunds.write`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/orders/:number/refunds",
        method = "post",
        operation_id = "createRefund",
        tag = "ApiTags::Orders"
    )]
    async fn create_refund(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
        /// A unique key per refund attempt, chosen by the client (1 to 200 characters;
        /// required: a request without one is 422).
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: Json<CreateRefundRequest>,
    ) -> Result<RefundCreated, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::RefundsWrite)?;
        let b = body.0;
        let input = RefundInput {
            lines: lines(b.lines.unwrap_or_default()),
            shipping: b.shipping.unwrap_or(false),
            amount_minor: b.amount_minor,
            reason: b.reason,
            return_id: b.return_id,
        };
        // Checked by the service (a 422 naming the header), after the access check.
        let key = idempotency_key.0.unwrap_or_default();
        let done = refunds::request(&self.db, &scope, number.0, &key, &input).await?;
        Ok(if done.replayed {
            RefundCreated::Replayed(Json(done.refund), "true".into())
        } else {
            RefundCreated::Created(Json(done.refund))
        })
    }

    /// The order's refunds with what it captured, what went back, what is pending and what
    /// may still be refunded.
    ///
    /// Permission `orders.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/orders/:number/refunds",
        method = "get",
        operation_id = "listOrderRefunds",
        tag = "ApiTags::Orders"
    )]
    async fn list_refunds(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        number: Path<i32>,
    ) -> Result<Json<OrderRefunds>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::OrdersRead)?;
        Ok(Json(refunds::for_order(&self.db, &scope, number.0).await?))
    }

    /// One refund with its lines (another brand's: 404).
    ///
    /// Permission `orders.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/refunds/:id",
        method = "get",
        operation_id = "getRefund",
        tag = "ApiTags::Orders"
    )]
    async fn get_refund(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        id: Path<Uuid>,
    ) -> Result<Json<Refund>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::OrdersRead)?;
        Ok(Json(refunds::get(&self.db, &scope, id.0).await?))
    }
}

//! Event endpoints: the polling list, the live streams (Server-Sent Events) of a brand and of
//! the company, and the stream tickets a browser's `EventSource` opens them with.

use chrono::{DateTime, Utc};
use poem::{Request, web::sse};
use poem_openapi::{
    Object, OpenApi, SecurityScheme,
    auth::ApiKey,
    param::{Header, Query},
    payload::{EventStream, Json},
};
use uuid::Uuid;

use super::{
    Event, EventType,
    hub::Hub,
    service::{self, Reader, StreamSettings},
    ticket::Tickets,
};
use crate::{
    analytics::Analytics,
    api::ApiTags,
    audit,
    db::Db,
    error::ApiError,
    identity::{Permission, Staff, extract::StaffAuth, service as identity},
    scope::Role,
    tenants::{StaffBrand, TenantResolver},
    types::Nullable,
};

/// An event as staff receive it.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Event")]
pub struct EventBody {
    /// Pass back as `after` (or `Last-Event-ID`) to resume after this event: the brand's event
    /// number on a brand's list and stream; on the company stream every brand's last number
    /// delivered, `<slug>.<seq>` comma separated.
    pub cursor: String,
    /// The event's id: receivers deduplicate on it.
    pub id: Uuid,
    /// The slug of the brand the event belongs to.
    pub brand: String,
    /// The brand's event number (1, 2, 3, ... per brand, in commit order).
    pub seq: i64,
    #[oai(rename = "type")]
    pub event_type: EventType,
    /// What the event is about: an order number, a SKU, an import or conversation id.
    pub subject: String,
    /// Ids and figures of the brand; never customer personal data.
    pub data: serde_json::Value,
    /// Customer personal data (e.g. the name and email an order was placed with), for roles
    /// with `customers.read`; null for the others and for events without any.
    pub customer: Nullable<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl EventBody {
    /// `cursor`: the company stream's; `None` on a brand's list and stream (the number).
    fn of(e: Event, cursor: Option<String>) -> Self {
        Self {
            cursor: cursor.unwrap_or_else(|| e.seq.to_string()),
            id: e.id,
            brand: e.brand,
            seq: e.seq,
            event_type: e.event_type,
            subject: e.subject,
            data: e.payload,
            customer: e.pii.into(),
            created_at: e.created_at,
        }
    }

    /// The SSE frame: `id` is the cursor (what the browser sends back as Last-Event-ID),
    /// `event` the type, `data` the JSON body.
    fn frame(self) -> sse::Event {
        use poem_openapi::types::ToJSON as _;
        let id = self.cursor.clone();
        let kind = self.event_type.as_str();
        sse::Event::message(self.to_json_string())
            .id(id)
            .event_type(kind)
    }
}

#[derive(Object)]
#[oai(rename = "EventPage")]
pub struct EventPage {
    pub events: Vec<EventBody>,
    /// Pass as `after` for the next call (the last event's number, or the `after` given).
    pub next_after: i64,
}

/// What a ticket is for.
#[derive(Object)]
#[oai(rename = "StreamTicketRequest")]
pub struct TicketRequest {
    /// `true` for the owner's company stream; otherwise the ticket opens the stream of the
    /// brand named by `X-Tenant-ID` (or `Host`).
    pub company: Option<bool>,
}

#[derive(Object)]
#[oai(rename = "StreamTicket")]
pub struct TicketBody {
    /// Send as the `ticket` query parameter of the stream (it opens streams until
    /// `expires_at`). It names the session it was obtained with, never the token.
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
    /// The stream's path with the ticket, ready for `new EventSource(url)`.
    pub url: String,
}

/// A stream ticket in the `ticket` query parameter (see `POST /v1/admin/events/tickets`).
#[derive(SecurityScheme)]
#[oai(
    rename = "streamTicket",
    ty = "api_key",
    key_name = "ticket",
    key_in = "query",
    checker = "take_ticket"
)]
pub struct StreamTicket(String);

async fn take_ticket(_req: &Request, key: ApiKey) -> Option<String> {
    Some(key.key)
}

/// A stream opens with the bearer token or with a stream ticket.
#[derive(SecurityScheme)]
pub enum StreamAuth {
    Bearer(StaffAuth),
    Ticket(StreamTicket),
}

/// The endpoints; built by the composition root with what they use.
pub struct EventsApi {
    pub db: Db,
    pub tenants: TenantResolver,
    pub hub: Hub,
    /// The owner's company stream reads through the analytics role.
    pub analytics: Analytics,
    pub tickets: Tickets,
    pub settings: StreamSettings,
}

/// The cursor of a brand stream: a non-negative event number.
fn brand_cursor(field: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|s| {
        s.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::invalid_field(field, "must be an event number (0 or more)"))
    })
    .transpose()
}

/// The cursor of the company stream: `<slug>.<seq>`, comma separated.
fn company_cursor(
    field: &str,
    raw: Option<&str>,
) -> Result<Option<service::CompanyCursor>, ApiError> {
    raw.map(|s| {
        service::parse_company_cursor(s).ok_or_else(|| {
            ApiError::invalid_field(
                field,
                "must be a company cursor (<slug>.<seq>, comma separated)",
            )
        })
    })
    .transpose()
}

/// The cursor from `Last-Event-ID` (what a reconnecting `EventSource` sends) or `after`.
fn raw_cursor<'a>(
    last_event_id: &'a Header<Option<String>>,
    after: &'a Query<Option<String>>,
) -> (&'static str, Option<&'a str>) {
    match (&last_event_id.0, &after.0) {
        (Some(h), _) => ("Last-Event-ID", Some(h.as_str())),
        (None, Some(q)) => ("after", Some(q.as_str())),
        (None, None) => ("after", None),
    }
}

/// What `role` receives.
fn reader(role: Role) -> Reader {
    Reader {
        types: EventType::visible_to(role),
        with_pii: Permission::CustomersRead.allows(role),
    }
}

impl EventsApi {
    /// The brand named by `X-Tenant-ID` or `Host`.
    async fn brand_of(
        &self,
        req: &Request,
        header: &Header<Option<String>>,
    ) -> Result<StaffBrand, ApiError> {
        let host = req
            .headers()
            .get(poem::http::header::HOST)
            .and_then(|v| v.to_str().ok());
        let tenant = self.tenants.from_request(header.0.as_deref(), host).await?;
        Ok(StaffBrand(tenant))
    }

    /// The caller and the ticket's brand (`None` for a company ticket, or for the bearer).
    async fn caller(&self, auth: StreamAuth) -> Result<(Staff, Option<Option<Uuid>>), ApiError> {
        match auth {
            StreamAuth::Bearer(StaffAuth(staff)) => Ok((staff, None)),
            StreamAuth::Ticket(StreamTicket(raw)) => {
                let ticket = self
                    .tickets
                    .verify(&raw)
                    .ok_or_else(|| ApiError::unauthorized("invalid or expired stream ticket"))?;
                let staff = identity::authenticate_hash(&self.db, &ticket.token_hash).await?;
                Ok((staff, Some(ticket.brand)))
            }
        }
    }
}

#[OpenApi]
impl EventsApi {
    /// The brand's events after the event number `after` (default 0: from the first), oldest
    /// first, at most `limit` (1 to 500, default 100): the events the caller's role receives
    /// (owner and brand manager: all; warehouse: `order.paid`, `order.shipped`,
    /// `shipment.created`, `stock.low`; support: conversations). `customer` is null without `customers.read`.
    ///
    /// Permission `events.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/events",
        method = "get",
        operation_id = "listEvents",
        tag = "ApiTags::Events"
    )]
    async fn list(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        #[oai(validator(minimum(value = "0")))] after: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))] limit: Query<Option<i64>>,
    ) -> Result<Json<EventPage>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::EventsRead)?;
        let role = auth.0.role_in(brand.tenant()).unwrap_or(Role::Support);
        let after = after.0.unwrap_or(0);
        let events = service::list(
            &self.db,
            &scope,
            &reader(role),
            after,
            limit.0.unwrap_or(100),
        )
        .await?;
        Ok(Json(EventPage {
            next_after: events.last().map_or(after, |e| e.seq),
            events: events.into_iter().map(|e| EventBody::of(e, None)).collect(),
        }))
    }

    /// The brand's live events as Server-Sent Events (`text/event-stream`): each event's `id`
    /// is its number, `event` its type, `data` the JSON `Event`; a comment line every 15 s
    /// keeps idle streams alive. Resumes after `Last-Event-ID` (what a reconnecting
    /// `EventSource` sends) or `after`; without either, from now on. Which events: as
    /// `GET /v1/admin/events`. Opens with the bearer token, or, for a browser's
    /// `EventSource`, with a `ticket` from `POST /v1/admin/events/tickets` (the brand is the
    /// ticket's). A client that falls too far behind is disconnected; it resumes with
    /// `Last-Event-ID` and loses nothing.
    ///
    /// Permission `events.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/events/stream",
        method = "get",
        operation_id = "streamEvents",
        tag = "ApiTags::Events"
    )]
    async fn stream(
        &self,
        req: &Request,
        auth: StreamAuth,
        #[oai(name = "X-Tenant-ID")] tenant: Header<Option<String>>,
        #[oai(name = "Last-Event-ID")] last_event_id: Header<Option<String>>,
        after: Query<Option<String>>,
    ) -> Result<EventStream<futures::stream::BoxStream<'static, EventBody>>, ApiError> {
        let (field, raw) = raw_cursor(&last_event_id, &after);
        let after = brand_cursor(field, raw)?;
        let (staff, ticket_brand) = self.caller(auth).await?;
        let brand = match ticket_brand {
            None => self.brand_of(req, &tenant).await?,
            Some(None) => {
                return Err(ApiError::forbidden(
                    "a company ticket opens the company stream only",
                ));
            }
            Some(Some(id)) => {
                let brand = self.tenants.staff_brand_by_id(id).await?;
                if tenant
                    .0
                    .as_deref()
                    .is_some_and(|h| h.trim() != brand.tenant().slug)
                {
                    return Err(ApiError::forbidden("the ticket is for another brand"));
                }
                brand
            }
        };
        let scope = staff.authorize(&brand, Permission::EventsRead)?;
        let role = staff.role_in(brand.tenant()).unwrap_or(Role::Support);
        let stream = service::brand_stream(
            self.db.clone(),
            self.hub.clone(),
            self.settings,
            scope,
            reader(role),
            after,
        )
        .await?;
        use futures::StreamExt as _;
        Ok(
            EventStream::new(stream.map(|e| EventBody::of(e, None)).boxed())
                .keep_alive(self.settings.heartbeat)
                .to_event(EventBody::frame),
        )
    }

    /// Every brand's live events for the company owner, as Server-Sent Events, each labelled
    /// with its `brand`; all types, customer data included. Read through the analytics role
    /// (the same privileged path as owner analytics); the opening is audited. Each brand's
    /// events come in its order. Each event's `id` is a company cursor (every brand's last
    /// number delivered, `<slug>.<seq>` comma separated): resume with `Last-Event-ID` or
    /// `after`; a brand the cursor does not name is read from its first event.
    /// Opens with the bearer token or a company `ticket`.
    ///
    /// Permission `analytics`: role owner.
    #[oai(
        path = "/v1/admin/events/company/stream",
        method = "get",
        operation_id = "streamCompanyEvents",
        tag = "ApiTags::Events"
    )]
    async fn company_stream(
        &self,
        auth: StreamAuth,
        #[oai(name = "Last-Event-ID")] last_event_id: Header<Option<String>>,
        after: Query<Option<String>>,
    ) -> Result<EventStream<futures::stream::BoxStream<'static, EventBody>>, ApiError> {
        let (field, raw) = raw_cursor(&last_event_id, &after);
        let after = company_cursor(field, raw)?;
        let (staff, ticket_brand) = self.caller(auth).await?;
        if matches!(ticket_brand, Some(Some(_))) {
            return Err(ApiError::forbidden(
                "a brand ticket opens its brand's stream only",
            ));
        }
        let actor = staff.authorize_company(Permission::Analytics)?;
        self.db
            .global_tx(&actor, async |tx| {
                audit::record(
                    tx,
                    "events.company_stream",
                    "all brands",
                    serde_json::json!({}),
                )
                .await
            })
            .await?;
        let stream = service::company_stream(
            self.analytics.clone(),
            self.hub.clone(),
            self.settings,
            after,
        )
        .await?;
        use futures::StreamExt as _;
        Ok(
            EventStream::new(stream.map(|(e, c)| EventBody::of(e, Some(c))).boxed())
                .keep_alive(self.settings.heartbeat)
                .to_event(EventBody::frame),
        )
    }

    /// A short-lived ticket that opens one event stream from a browser's `EventSource`
    /// (which cannot send headers), so the bearer token never goes into a URL. For the brand
    /// named by `X-Tenant-ID` (or `Host`), or with `company: true` for the owner's company
    /// stream. The ticket is tied to the caller's session: signing out voids it.
    ///
    /// Permission `events.read`: roles owner, brand_manager, warehouse, support (a brand's
    /// stream); a company ticket needs `analytics` (role owner).
    #[oai(
        path = "/v1/admin/events/tickets",
        method = "post",
        operation_id = "createStreamTicket",
        tag = "ApiTags::Events"
    )]
    async fn ticket(
        &self,
        req: &Request,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] tenant: Header<Option<String>>,
        body: Json<TicketRequest>,
    ) -> Result<Json<TicketBody>, ApiError> {
        let staff = auth.0;
        let (brand, path) = if body.0.company.unwrap_or(false) {
            staff.authorize_company(Permission::Analytics)?;
            (None, "/v1/admin/events/company/stream")
        } else {
            let brand = self.brand_of(req, &tenant).await?;
            staff.authorize(&brand, Permission::EventsRead)?;
            (Some(brand.tenant().id), "/v1/admin/events/stream")
        };
        let (ticket, expires_at) = self.tickets.issue(&staff.token_hash, brand);
        Ok(Json(TicketBody {
            url: format!("{path}?ticket={ticket}"),
            ticket,
            expires_at,
        }))
    }
}

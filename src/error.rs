//! The error policy: every error leaves the service as RFC 9457 `application/problem+json`.
//!
//! * Handlers return [`ApiError`]; domain errors convert into it in one place each.
//! * 4xx problems say what the client can fix (`detail`, and `errors` naming fields).
//! * 5xx problems say nothing internal: a title and the `request_id`, which is also the
//!   `x-request-id` response header and is logged once, with the cause, at the point of failure.
//! * Errors raised by poem itself (unknown route, body too large, unparsable parameter) and
//!   panics are turned into the same shape by the request middleware in `startup.rs`.
//!
//! Every operation declares the shared set of problem responses in the OpenAPI spec.
//!
//! Domains share one error core, [`DomainError`] (invalid fields, not found, conflict, database);
//! a domain with nothing more to say uses it as its error type, one with more (orders, chat,
//! media, staff) keeps its own enum. A named constraint's violation becomes the client's
//! problem through one table per domain ([`ConstraintTable`]) and one lookup ([`violated`]).

use std::fmt;

use poem::{
    IntoResponse, Response, error::ResponseError, http::StatusCode, http::header, web::Json,
};
use poem_openapi::{
    ApiResponse, Object,
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::{ToJSON, Type},
};

use crate::{
    db::{DbError, Retryable},
    types::TypeError,
};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

tokio::task_local! {
    /// The current request's id, set by the request middleware for the whole handler future.
    pub static REQUEST_ID: String;
}

/// The current request's id, if called inside a request.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Problem")]
pub struct Problem {
    /// A URI naming the kind of problem; stable, safe to switch on.
    #[oai(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, for a human.
    #[oai(skip_serializing_if_is_none)]
    pub detail: Option<String>,
    /// The request's id: quote it when reporting a problem.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
    /// Field-level validation errors (422).
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<FieldError>>,
    /// Out of stock (409): per SKU, the units requested and available.
    #[oai(skip_serializing_if_is_none)]
    pub unavailable: Option<Vec<UnavailableItem>>,
}

/// A SKU a checkout could not reserve.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "UnavailableItem")]
pub struct UnavailableItem {
    pub sku: String,
    /// Units requested across the order's lines.
    pub requested: i64,
    /// Units that could have been reserved (all active zones).
    pub available: i64,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "FieldError")]
pub struct FieldError {
    /// The field, as a dotted path into the request (`theme.colors.primary`, `lines[2].quantity`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects a request's invalid fields while parsing them into domain types, so one 422 names
/// them all.
pub trait FieldErrors {
    /// The parsed value, or `None` with the error recorded under `field`.
    fn check<T>(&mut self, field: impl Into<String>, parsed: Result<T, TypeError>) -> Option<T>;
}

impl FieldErrors for Vec<FieldError> {
    fn check<T>(&mut self, field: impl Into<String>, parsed: Result<T, TypeError>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(FieldError::new(field, e.into_message()));
                None
            }
        }
    }
}

/// The error every handler returns. Build it with the constructors, which fix status, type and
/// title together. Boxed: it travels through every `Result` of the request path.
pub struct ApiError(Box<Inner>);

pub struct Inner {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: Option<String>,
    errors: Vec<FieldError>,
    unavailable: Vec<UnavailableItem>,
    retry_after_secs: Option<u64>,
    /// The cause of a 5xx, logged and never sent.
    source: Option<anyhow::Error>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, title: &'static str) -> Self {
        Self(Box::new(Inner {
            status,
            kind,
            title,
            detail: None,
            errors: Vec::new(),
            unavailable: Vec::new(),
            retry_after_secs: None,
            source: None,
        }))
    }

    fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").with_detail(detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
        )
        .with_detail(detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden").with_detail(detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found").with_detail(detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict").with_detail(detail)
    }

    /// A 422 naming every invalid field.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid request",
        )
        .with_detail(detail);
        e.errors = errors;
        e
    }

    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    /// A 409 listing, per SKU, what was requested and what is available.
    pub fn out_of_stock(items: Vec<UnavailableItem>) -> Self {
        let detail = items
            .iter()
            .map(|i| {
                format!(
                    "{}: {} requested, {} available",
                    i.sku, i.requested, i.available
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let mut e =
            Self::new(StatusCode::CONFLICT, "out-of-stock", "Out of stock").with_detail(detail);
        e.unavailable = items;
        e
    }

    /// A 409: the customer has as many unpaid orders as the brand allows.
    pub fn open_order_limit(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "open-order-limit",
            "Too many unpaid orders",
        )
        .with_detail(detail)
    }

    /// A 409: a refund asks for more than the order captured minus its earlier refunds that did
    /// not fail.
    pub fn refund_exceeds_captured(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "refund-exceeds-captured",
            "Refund exceeds what was captured",
        )
        .with_detail(detail)
    }

    /// A 409: the order's invoice was issued and its PDF is not stored yet; `Retry-After` says
    /// when to ask again.
    pub fn invoice_not_ready(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::CONFLICT,
            "invoice-not-ready",
            "Invoice not ready",
        )
        .with_detail(detail);
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    /// A 422: the checkout's shipping method cannot take the order (unknown, inactive, not
    /// shipping to the address's country, or no band for the order); `errors` names
    /// `shipping_method`.
    pub fn ineligible_shipping_method(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ineligible-shipping-method",
            "Ineligible shipping method",
        )
        .with_detail(detail.clone());
        e.errors = vec![FieldError::new("shipping_method", detail)];
        e
    }

    /// A 422: a promo code this brand does not have (whether another brand has it is never
    /// said); `errors` names the code's field.
    pub fn unknown_promo_code(field: impl Into<String>) -> Self {
        let detail = "no such promo code in this brand";
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-promo-code",
            "Unknown promo code",
        )
        .with_detail(detail);
        e.errors = vec![FieldError::new(field, detail)];
        e
    }

    /// A 422: the promo code exists but a condition of its promotion does not hold for this
    /// basket (time window, minimum subtotal, first order, customer list).
    pub fn promo_code_not_applicable(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "promo-code-not-applicable",
            "Promo code not applicable",
        )
        .with_detail(detail.clone());
        e.errors = vec![FieldError::new(field, detail)];
        e
    }

    /// A 409: the promo code's promotion has no uses left (in total or for this customer).
    pub fn promo_code_exhausted(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let mut e = Self::new(
            StatusCode::CONFLICT,
            "promo-code-exhausted",
            "Promo code used up",
        )
        .with_detail(detail.clone());
        e.errors = vec![FieldError::new(field, detail)];
        e
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
        )
        .with_detail(detail)
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
        )
        .with_detail(format!("the request body may be at most {limit} bytes"))
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
        )
        .with_detail(format!("try again in {retry_after_secs} s"));
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    /// An unexpected failure. The cause is logged with the request id and never sent.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
        );
        e.source = Some(source.into());
        e
    }

    /// The service cannot answer now (database unreachable, pool exhausted); worth a retry.
    pub fn unavailable(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
        );
        e.retry_after_secs = Some(1);
        e.source = Some(source.into());
        e
    }

    /// A problem for a status poem produced itself (unknown route, wrong method, ...).
    fn from_status(status: StatusCode, detail: String) -> Self {
        let (kind, title) = match status {
            StatusCode::NOT_FOUND => ("not-found", "Not found"),
            StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "Payload too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported-media-type", "Unsupported media type")
            }
            StatusCode::UNAUTHORIZED => ("unauthorized", "Authentication required"),
            StatusCode::FORBIDDEN => ("forbidden", "Forbidden"),
            _ => ("bad-request", "Bad request"),
        };
        Self::new(status, kind, title).with_detail(detail)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The problem document this error is sent as.
    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:problem:brandhouse:{}", self.kind),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            request_id: current_request_id(),
            errors: (!self.errors.is_empty()).then(|| self.errors.clone()),
            unavailable: (!self.unavailable.is_empty()).then(|| self.unavailable.clone()),
        }
    }
}

impl std::ops::Deref for ApiError {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut Inner {
        &mut self.0
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status.as_u16())
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {d}", self.title),
            None => f.write_str(self.title),
        }
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        if let Some(source) = &self.source {
            // The one place a 5xx cause is logged; the client only gets the request id.
            tracing::error!(
                http.response.status_code = self.status.as_u16(),
                error = format!("{source:#}"),
                "request failed"
            );
        }
        let body = self.problem().to_json().unwrap_or_default();
        let mut resp = Json(body).into_response();
        resp.set_status(self.status);
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(PROBLEM_JSON),
        );
        if let Some(secs) = self.retry_after_secs {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        resp
    }
}

/// Declares the shared problem responses on every operation that returns `Result<_, ApiError>`.
impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        const STATUSES: &[(u16, &str)] = &[
            (
                400,
                "The request is malformed (unparsable body or parameter, or no brand).",
            ),
            (401, "Authentication is missing or invalid."),
            (403, "The caller may not do this in this brand."),
            (
                404,
                "The brand or resource does not exist (or is not visible to the caller).",
            ),
            (409, "The request conflicts with the current state."),
            (413, "The request body is too large."),
            (415, "The request body's content type is not accepted."),
            (
                422,
                "The request is well-formed but invalid; `errors` names the fields.",
            ),
            (429, "Too many requests; see Retry-After."),
            (
                500,
                "Unexpected failure; quote `request_id` when reporting it.",
            ),
            (
                503,
                "Temporarily unavailable; retry after Retry-After seconds.",
            ),
        ];
        MetaResponses {
            responses: STATUSES
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: PROBLEM_JSON,
                        schema: <Problem as Type>::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        <Problem as Type>::register(registry);
    }
}

/// Turns any error that reached the top of the request pipeline into a problem response.
pub fn problem_response(err: poem::Error) -> Response {
    if err.is::<ApiError>() {
        return err.into_response();
    }
    let status = err.status();
    let api = if status.is_server_error() {
        ApiError::internal(anyhow::anyhow!("{err}"))
    } else {
        ApiError::from_status(status, err.to_string())
    };
    api.as_response()
}

/// A panic inside a handler: a 500 problem (the panic message is logged, never sent).
#[derive(Clone)]
pub struct PanicToProblem;

impl poem::middleware::PanicHandler for PanicToProblem {
    type Response = Response;

    fn get_response(&self, err: Box<dyn std::any::Any + Send + 'static>) -> Response {
        let message = err
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| err.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_owned());
        ApiError::internal(anyhow::anyhow!("handler panicked: {message}")).as_response()
    }
}

impl ApiError {
    /// For closures that meet a raw driver error.
    pub fn from_db(e: impl Into<DbError>) -> Self {
        e.into().into()
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            ApiError::unavailable(e)
        } else {
            ApiError::internal(e)
        }
    }
}

/// The failures every domain shares. Domains whose errors are only these use it directly
/// (`pub type CatalogError = DomainError;`), so each maps to a problem in one place.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// 422 naming every invalid field.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// 404.
    #[error("{0}")]
    NotFound(&'static str),
    /// 409.
    #[error("{0}")]
    Conflict(String),
    /// 500 or 503, the cause logged and never sent.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl DomainError {
    /// A 422 for one field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(errors) => ApiError::invalid(errors),
            DomainError::NotFound(what) => ApiError::not_found(what),
            DomainError::Conflict(what) => ApiError::conflict(what),
            DomainError::Db(db) => db.into(),
        }
    }
}

impl Retryable for DomainError {
    fn is_retryable(&self) -> bool {
        matches!(self, DomainError::Db(e) if e.is_retryable())
    }
}

/// What the violation of a named constraint tells the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// 409: the request collides with what is stored (a unique key, a row still referenced).
    Conflict(&'static str),
    /// 422 naming a field.
    Invalid {
        field: &'static str,
        message: &'static str,
    },
}

/// One domain's constraints whose violation is the client's doing: constraint name and
/// meaning. Any constraint not listed stays a server error (a bug, logged with its cause).
pub type ConstraintTable = [(&'static str, Violation)];

/// The meaning of the constraint `e` violated, if `table` lists it.
pub fn violated(e: &DbError, table: &ConstraintTable) -> Option<Violation> {
    let (_, Some(name)) = e.constraint()? else {
        return None;
    };
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

impl From<Violation> for DomainError {
    fn from(v: Violation) -> Self {
        match v {
            Violation::Conflict(what) => DomainError::Conflict(what.to_owned()),
            Violation::Invalid { field, message } => DomainError::invalid_field(field, message),
        }
    }
}

impl From<Violation> for ApiError {
    fn from(v: Violation) -> Self {
        DomainError::from(v).into()
    }
}

impl DomainError {
    /// A database error as the client's problem when it violated a constraint in `table`.
    pub fn from_db(e: DbError, table: &ConstraintTable) -> Self {
        match violated(&e, table) {
            Some(v) => v.into(),
            None => DomainError::Db(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Problem types are a contract with clients: every type the API can send is in README's
    /// table with its status.
    #[test]
    fn every_problem_type_is_documented() {
        let readme = include_str!("../README.md");
        let sent = [
            ApiError::bad_request("x"),
            ApiError::unauthorized("x"),
            ApiError::forbidden("x"),
            ApiError::not_found("x"),
            ApiError::from_status(StatusCode::METHOD_NOT_ALLOWED, "x".into()),
            ApiError::conflict("x"),
            ApiError::out_of_stock(Vec::new()),
            ApiError::open_order_limit("x"),
            ApiError::invoice_not_ready("x", 1),
            ApiError::ineligible_shipping_method("x"),
            ApiError::payload_too_large(1),
            ApiError::unsupported_media_type("x"),
            ApiError::invalid_field("x", "x"),
            ApiError::too_many_requests(1),
            ApiError::internal(anyhow::anyhow!("x")),
            ApiError::unavailable(anyhow::anyhow!("x")),
        ];
        for e in sent {
            let p = e.problem();
            let row = format!("| `{}` | {} |", p.problem_type, p.status);
            assert!(readme.contains(&row), "README.md lacks the row {row}");
        }
        // A kind added to this file without a row fails too: every kebab-case literal that
        // follows a status code (`Self::new(StatusCode::X, "kind", ...)`, `from_status` arms).
        let source = include_str!("error.rs");
        let source = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        let mut kinds = 0;
        for (i, _) in source.match_indices("StatusCode::") {
            let rest = &source[i..];
            let Some(q) = rest.find('"') else { continue };
            let between = &rest[..q];
            if between.len() > 80 || between.contains(';') {
                continue;
            }
            let kind: String = rest[q + 1..].chars().take_while(|c| *c != '"').collect();
            if kind.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !kind.is_empty() {
                kinds += 1;
                let urn = format!("`urn:problem:brandhouse:{kind}`");
                assert!(readme.contains(&urn), "README.md lacks {urn}");
            }
        }
        assert!(
            kinds >= 12,
            "the scan found {kinds} kinds: has error.rs changed shape?"
        );
    }
}

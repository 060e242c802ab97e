//! `RawJson<T>`: a JSON body that is already serialised (built by PostgreSQL or taken from the
//! cache), declared in the spec with `T`'s schema. Hot read paths use it to skip parsing and
//! re-serialising large documents; tests deserialise those bodies into `T` with unknown fields
//! denied, so the declared schema and the bytes cannot drift apart unnoticed.

use std::marker::PhantomData;

use poem::{IntoResponse, Response, http::header};
use poem_openapi::{
    ApiResponse,
    payload::Payload,
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry},
    types::Type,
};

pub struct RawJson<T> {
    body: String,
    _schema: PhantomData<fn() -> T>,
}

impl<T> RawJson<T> {
    /// Wraps a serialised JSON document of shape `T`.
    pub fn new(body: String) -> Self {
        Self {
            body,
            _schema: PhantomData,
        }
    }
}

impl<T: Type> Payload for RawJson<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Send> IntoResponse for RawJson<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(self.body)
    }
}

impl<T: Type> ApiResponse for RawJson<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Self::CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// A JSON request body kept as raw bytes, declared in the spec with `T`'s schema. For
/// endpoints that must check a signature over the exact bytes before parsing them (webhooks).
pub struct SignedJsonBody<T> {
    pub bytes: bytes::Bytes,
    _schema: PhantomData<fn() -> T>,
}

impl<T: Type> Payload for SignedJsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .split(';')
            .next()
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type> poem_openapi::payload::ParsePayload for SignedJsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(
        _request: &poem::Request,
        body: &mut poem::RequestBody,
    ) -> poem::Result<Self> {
        let bytes = body.take()?.into_bytes().await?;
        Ok(Self {
            bytes,
            _schema: PhantomData,
        })
    }
}

impl<'a, T: Type> poem_openapi::ApiExtractor<'a> for SignedJsonBody<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] =
        &[poem_openapi::ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(ct) if <Self as Payload>::check_content_type(ct) => {
                <Self as poem_openapi::payload::ParsePayload>::from_request(request, body).await
            }
            _ => {
                Err(crate::error::ApiError::unsupported_media_type("send application/json").into())
            }
        }
    }
}

/// A `multipart/form-data` body that is parsed only when the handler asks for it, after the
/// access check: an unauthorised caller gets its 403 without the service reading (or
/// spooling to disk) an upload of several megabytes, and a request with the wrong content type
/// from such a caller is still a 403 rather than a 415. Declared in the spec as `T`.
pub struct DeferredMultipart<T> {
    content_type: Option<String>,
    body: poem::Body,
    _schema: PhantomData<fn() -> T>,
}

impl<T> DeferredMultipart<T>
where
    T: Payload + poem_openapi::payload::ParsePayload,
{
    /// Parses the body as `T`: 415 for another content type, 400 for a malformed body.
    pub async fn parse(self) -> Result<T, crate::error::ApiError> {
        use crate::error::ApiError;
        let content_type = self
            .content_type
            .filter(|ct| T::check_content_type(ct))
            .ok_or_else(|| ApiError::unsupported_media_type(format!("send {}", T::CONTENT_TYPE)))?;
        let request = poem::Request::builder()
            .header(header::CONTENT_TYPE, content_type)
            .finish();
        let mut body = poem::RequestBody::new(self.body);
        T::from_request(&request, &mut body).await.map_err(|e| {
            if e.status() == poem::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::bad_request("the request body is too large")
            } else {
                ApiError::bad_request(format!("unreadable multipart body: {e}"))
            }
        })
    }
}

impl<T: Payload> Payload for DeferredMultipart<T> {
    const CONTENT_TYPE: &'static str = T::CONTENT_TYPE;

    fn check_content_type(_content_type: &str) -> bool {
        // Checked by `parse`, after the access check.
        true
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<'a, T: Payload> poem_openapi::ApiExtractor<'a> for DeferredMultipart<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] =
        &[poem_openapi::ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: T::CONTENT_TYPE,
                schema: T::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a poem::Request,
        body: &mut poem::RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self {
            content_type: request.content_type().map(str::to_owned),
            body: body.take().unwrap_or_default(),
            _schema: PhantomData,
        })
    }
}

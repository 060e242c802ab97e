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

//! Product image endpoints: staff upload, list and delete; the storefront reads an image.

use chrono::{DateTime, Utc};
use poem::{IntoResponse, Response, http::header};
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi,
    param::{Header, Path},
    payload::{Json, Payload},
    registry::{MetaSchema, MetaSchemaRef},
    types::multipart::Upload,
};

use super::service::{self, ListedMedia, MAX_IMAGE_BYTES};
use crate::{
    api::ApiTags,
    error::ApiError,
    identity::{Permission, extract::StaffAuth},
    payload::DeferredMultipart,
    tenants::{StaffBrand, Storefront},
};

/// An image of a product.
#[derive(Debug, Object)]
#[oai(rename = "ProductMedia")]
pub struct ProductMedia {
    /// The sanitised file name, unique per product (`hero.webp`).
    pub name: String,
    /// `image/jpeg`, `image/png` or `image/webp`, detected from the bytes.
    pub content_type: String,
    pub size_bytes: i32,
    /// Display order (upload order).
    pub position: i32,
    /// Where the storefront loads it: `/v1/storefront/media/{number}/{name}` on the brand's
    /// domain (local storage), or a presigned URL (S3, valid for `MEDIA_URL_TTL_SECS`).
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An image upload.
#[derive(Debug, Multipart)]
pub struct MediaUpload {
    /// A JPEG, PNG or WebP image of at most 10 MiB. The type is checked from the bytes.
    pub file: Upload,
    /// The file name to store it under (sanitised to lowercase letters, digits, `-` and `_`;
    /// the extension follows the detected type). Defaults to the uploaded file's name.
    pub name: Option<String>,
}

#[derive(ApiResponse)]
pub enum MediaCreated {
    /// Stored (an image of the same name is replaced).
    #[oai(status = 201)]
    Created(Json<ProductMedia>),
}

#[derive(ApiResponse)]
pub enum MediaDeleted {
    #[oai(status = 204)]
    Deleted,
}

/// Image bytes with their own content type.
pub struct ImageBody {
    content_type: String,
    bytes: bytes::Bytes,
}

impl Payload for ImageBody {
    const CONTENT_TYPE: &'static str = "image/*";

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")))
    }
}

impl IntoResponse for ImageBody {
    fn into_response(self) -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, self.content_type)
            .body(self.bytes)
    }
}

#[derive(ApiResponse)]
pub enum MediaFile {
    /// The image (`image/jpeg`, `image/png` or `image/webp`).
    #[oai(status = 200)]
    Ok(
        ImageBody,
        /// The SHA-256 of the bytes, quoted; send it back as `If-None-Match`.
        #[oai(header = "ETag")]
        String,
        #[oai(header = "Cache-Control")] String,
        /// `X-Tenant-ID, Host`: the same path is a different image in another brand.
        #[oai(header = "Vary")]
        String,
    ),
    /// The client's copy (`If-None-Match`) is current.
    #[oai(status = 304)]
    NotModified(
        #[oai(header = "ETag")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Vary")] String,
    ),
}

/// Images change only by replacing them under the same name, which changes the ETag: clients
/// may cache for an hour and revalidate cheaply after.
const IMAGE_CACHE_CONTROL: &str = "public, max-age=3600";

/// The brand comes from these request headers, so a shared cache (a CDN in front of several
/// brands' domains, or one host serving every brand by header) must key on them, or it would
/// serve one brand's image for another's URL.
const IMAGE_VARY: &str = "X-Tenant-ID, Host";

impl From<ListedMedia> for ProductMedia {
    fn from(ListedMedia { row, url }: ListedMedia) -> Self {
        Self {
            url,
            name: row.name,
            content_type: row.content_type,
            size_bytes: row.size_bytes,
            position: row.position,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The endpoints; built by the composition root (`startup.rs`) with what they use.
pub struct MediaApi {
    /// The API role's pool: every data access goes through its tenant transaction.
    pub db: crate::db::Db,
    /// The brand-keyed storefront cache (invalidated after catalog and stock writes).
    pub cache: crate::cache::Cache,
    /// Brand-keyed object storage.
    pub media: crate::media::MediaStore,
}

#[OpenApi]
impl MediaApi {
    /// Uploads an image of a product (`multipart/form-data`: `file`, optional `name`). JPEG,
    /// PNG and WebP only, recognised by their content (a text file named `.png` is 422); at
    /// most 10 MiB (413 beyond). Stored under the brand's own prefix
    /// (`{brand}/products/{number}/{name}`); an image of the same name is replaced.
    ///
    /// Permission `media.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/products/:number/media",
        method = "post",
        operation_id = "uploadProductMedia",
        tag = "ApiTags::Media"
    )]
    async fn upload(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        /// The product number.
        number: Path<i32>,
        body: DeferredMultipart<MediaUpload>,
    ) -> Result<MediaCreated, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::MediaManage)?;
        let upload = body.parse().await?;
        if upload.file.size() > MAX_IMAGE_BYTES {
            return Err(ApiError::payload_too_large(MAX_IMAGE_BYTES));
        }
        let raw_name = upload
            .name
            .clone()
            .or_else(|| upload.file.file_name().map(str::to_owned))
            .ok_or_else(|| ApiError::invalid_field("name", "required (no file name was sent)"))?;
        let bytes = upload.file.into_vec().await.map_err(ApiError::internal)?;
        let media = service::upload_with_url(
            &self.db,
            &self.media,
            &self.cache,
            &scope,
            number.0,
            &raw_name,
            bytes.into(),
        )
        .await?;
        Ok(MediaCreated::Created(Json(media.into())))
    }

    /// A product's images in display order.
    ///
    /// Permission `catalog.read`: roles owner, brand_manager, warehouse, support.
    #[oai(
        path = "/v1/admin/products/:number/media",
        method = "get",
        operation_id = "listProductMedia",
        tag = "ApiTags::Media"
    )]
    async fn list(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        /// The product number.
        number: Path<i32>,
    ) -> Result<Json<Vec<ProductMedia>>, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::CatalogRead)?;
        let media = service::list_with_urls(&self.db, &self.media, &scope, number.0).await?;
        Ok(Json(media.into_iter().map(Into::into).collect()))
    }

    /// Deletes an image of a product (its record and its file).
    ///
    /// Permission `media.manage`: roles owner, brand_manager.
    #[oai(
        path = "/v1/admin/products/:number/media/:name",
        method = "delete",
        operation_id = "deleteProductMedia",
        tag = "ApiTags::Media"
    )]
    async fn delete(
        &self,
        auth: StaffAuth,
        #[oai(name = "X-Tenant-ID")] brand: StaffBrand,
        /// The product number.
        number: Path<i32>,
        /// The image's name, as listed.
        name: Path<String>,
    ) -> Result<MediaDeleted, ApiError> {
        let scope = auth.0.authorize(&brand, Permission::MediaManage)?;
        service::delete(&self.db, &self.media, &scope, number.0, &name.0).await?;
        self.cache.invalidate_catalog(&scope).await;
        Ok(MediaDeleted::Deleted)
    }

    /// An image of an active product, with an `ETag` (its SHA-256) and
    /// `Cache-Control: public, max-age=3600` and `Vary: X-Tenant-ID, Host` (the brand is part of
    /// the key); `If-None-Match` with the current tag is 304.
    /// This is where storefront media URLs point when files are stored locally; with S3 the
    /// product's URLs are presigned instead, and this endpoint serves the same bytes.
    ///
    /// Anonymous. The brand comes from `X-Tenant-ID` or the `Host` header, so an `<img>` on
    /// the brand's own domain works without headers.
    #[oai(
        path = "/v1/storefront/media/:number/:name",
        method = "get",
        operation_id = "getStorefrontMedia",
        tag = "ApiTags::Storefront"
    )]
    async fn storefront_image(
        &self,
        #[oai(name = "X-Tenant-ID")] brand: Storefront,
        /// The product number.
        number: Path<i32>,
        /// The image's name.
        name: Path<String>,
        /// An ETag from an earlier response.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<MediaFile, ApiError> {
        let scope = brand.0;
        let image = service::storefront_image(
            &self.db,
            &self.media,
            &scope,
            number.0,
            &name.0,
            if_none_match.0.as_deref(),
        )
        .await?
        .ok_or_else(|| ApiError::not_found("no such image"))?;
        let etag = format!("\"{}\"", image.sha256);
        if if_none_match
            .0
            .as_deref()
            .is_some_and(|t| service::etag_matches(t, &image.sha256))
        {
            return Ok(MediaFile::NotModified(
                etag,
                IMAGE_CACHE_CONTROL.into(),
                IMAGE_VARY.into(),
            ));
        }
        Ok(MediaFile::Ok(
            ImageBody {
                content_type: image.content_type,
                bytes: image.bytes,
            },
            etag,
            IMAGE_CACHE_CONTROL.into(),
            IMAGE_VARY.into(),
        ))
    }
}

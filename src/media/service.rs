//! Product images: upload (JPEG, PNG or WebP by their magic bytes, at most 10 MiB), list,
//! delete, and the storefront's reads.
//!
//! An upload writes the row and the object in one tenant transaction: the row first, then the
//! object, then COMMIT. If the object cannot be written the row rolls back; if COMMIT fails
//! after the write, an unreferenced object is left under the brand's own prefix (harmless, and
//! overwritten by the next upload of that name).

use bytes::Bytes;
use sha2::{Digest, Sha256};

pub use super::repo::MediaRow;
use super::{
    repo,
    store::{MediaName, MediaStore, ObjectKey, StorageError},
};
use crate::{
    audit,
    cache::Cache,
    db::{Db, DbError},
    error::{ApiError, FieldError},
    scope::TenantScope,
};

/// The largest image accepted.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("the image is larger than {MAX_IMAGE_BYTES} bytes")]
    TooLarge,
    #[error(transparent)]
    Storage(StorageError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<StorageError> for MediaError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::InvalidName(why) => {
                MediaError::Invalid(vec![FieldError::new("name", why)])
            }
            StorageError::NotFound => MediaError::NotFound("no such image"),
            other => MediaError::Storage(other),
        }
    }
}

impl From<MediaError> for ApiError {
    fn from(e: MediaError) -> Self {
        match e {
            MediaError::Invalid(errors) => ApiError::invalid(errors),
            MediaError::NotFound(what) => ApiError::not_found(what),
            MediaError::TooLarge => ApiError::payload_too_large(MAX_IMAGE_BYTES),
            MediaError::Storage(s) => ApiError::internal(s),
            MediaError::Db(db) => db.into(),
        }
    }
}

/// An accepted image type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    /// The type of `bytes` by their magic numbers; the declared content type is not trusted.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpg",
            ImageKind::Png => "png",
            ImageKind::Webp => "webp",
        }
    }
}

/// Adds (or replaces, by name) an image of product `number`. `raw_name` is the client's file
/// name; it is sanitised and given the extension of the detected type.
pub async fn upload(
    db: &Db,
    store: &MediaStore,
    scope: &TenantScope,
    number: i32,
    raw_name: &str,
    bytes: Bytes,
) -> Result<MediaRow, MediaError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(MediaError::TooLarge);
    }
    let Some(kind) = ImageKind::sniff(&bytes) else {
        return Err(MediaError::Invalid(vec![FieldError::new(
            "file",
            "not a JPEG, PNG or WebP image (checked by its content, not its name or declared type)",
        )]));
    };
    let name = MediaName::parse(raw_name, kind.extension())?;
    let key = ObjectKey::product_media(scope, number, &name);
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let size = i32::try_from(bytes.len()).map_err(|_| MediaError::TooLarge)?;
    db.tenant_tx(scope, async |tx| {
        let product_id = repo::product_id(tx, number)
            .await?
            .ok_or(MediaError::NotFound("no such product"))?;
        let row = repo::upsert(
            tx,
            &repo::NewMedia {
                product_id,
                name: name.as_str(),
                content_type: kind.content_type(),
                size_bytes: size,
                sha256: &sha256,
                object_key: key.as_str(),
            },
        )
        .await?;
        audit::record(
            tx,
            "media.upload",
            &format!("{number}/{name}"),
            serde_json::json!({"bytes": size, "content_type": kind.content_type()}),
        )
        .await?;
        store.put(scope, &key, bytes.clone()).await?;
        Ok(row)
    })
    .await
}

pub async fn list(db: &Db, scope: &TenantScope, number: i32) -> Result<Vec<MediaRow>, MediaError> {
    db.tenant_tx(scope, async |tx| {
        let product_id = repo::product_id(tx, number)
            .await?
            .ok_or(MediaError::NotFound("no such product"))?;
        Ok(repo::list(tx, product_id).await?)
    })
    .await
}

/// Removes an image: its row, then its object, in one transaction.
pub async fn delete(
    db: &Db,
    store: &MediaStore,
    scope: &TenantScope,
    number: i32,
    name: &str,
) -> Result<(), MediaError> {
    db.tenant_tx(scope, async |tx| {
        let product_id = repo::product_id(tx, number)
            .await?
            .ok_or(MediaError::NotFound("no such product"))?;
        let key = repo::delete(tx, product_id, name)
            .await?
            .ok_or(MediaError::NotFound("no such image"))?;
        let key = ObjectKey::stored(scope, &key)?;
        audit::record(
            tx,
            "media.delete",
            &format!("{number}/{name}"),
            serde_json::json!({}),
        )
        .await?;
        store.delete(scope, &key).await?;
        Ok(())
    })
    .await
}

/// An image the storefront serves.
pub struct PublicImage {
    pub content_type: String,
    pub sha256: String,
    pub bytes: Bytes,
}

/// The image `name` of active product `number`, if the brand has it. When only the ETag is
/// needed (a conditional request that matches), the bytes are not fetched.
pub async fn storefront_image(
    db: &Db,
    store: &MediaStore,
    scope: &TenantScope,
    number: i32,
    name: &str,
    if_none_match: Option<&str>,
) -> Result<Option<PublicImage>, MediaError> {
    let Ok(name) = MediaName::stored(name) else {
        return Ok(None);
    };
    let row = db
        .tenant_tx(scope, async |tx| {
            repo::storefront_media(tx, number, name.as_str())
                .await
                .map_err(MediaError::from)
        })
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if if_none_match.is_some_and(|tag| etag_matches(tag, &row.sha256)) {
        return Ok(Some(PublicImage {
            content_type: row.content_type,
            sha256: row.sha256,
            bytes: Bytes::new(),
        }));
    }
    let key = ObjectKey::stored(scope, &row.object_key)?;
    let bytes = store.get(scope, &key).await?;
    Ok(Some(PublicImage {
        content_type: row.content_type,
        sha256: row.sha256,
        bytes,
    }))
}

/// Whether an `If-None-Match` header names the entity tag of `sha256` (or `*`).
pub fn etag_matches(header: &str, sha256: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/").trim_matches('"') == sha256)
}

/// The URL the storefront uses for an image: presigned on S3, served by the API otherwise.
pub async fn public_url(
    store: &MediaStore,
    scope: &TenantScope,
    number: i32,
    name: &str,
) -> Result<String, MediaError> {
    if store.presigns() {
        let name = MediaName::stored(name)?;
        let key = ObjectKey::product_media(scope, number, &name);
        if let Some(url) = store.presigned_get(scope, &key).await? {
            return Ok(url);
        }
    }
    Ok(format!("/v1/storefront/media/{number}/{name}"))
}

/// An image of a product with the URL the storefront loads it from.
pub struct ListedMedia {
    /// The image's record.
    pub row: MediaRow,
    /// See [`public_url`].
    pub url: String,
}

/// [`upload`], then the storefront cache is invalidated (after the commit) and the image's
/// public URL made.
pub async fn upload_with_url(
    db: &Db,
    store: &MediaStore,
    cache: &Cache,
    scope: &TenantScope,
    number: i32,
    raw_name: &str,
    bytes: Bytes,
) -> Result<ListedMedia, MediaError> {
    let row = upload(db, store, scope, number, raw_name, bytes).await?;
    cache.invalidate_catalog(scope).await;
    Ok(ListedMedia {
        url: public_url(store, scope, number, &row.name).await?,
        row,
    })
}

/// A product's images in display order, each with its public URL.
pub async fn list_with_urls(
    db: &Db,
    store: &MediaStore,
    scope: &TenantScope,
    number: i32,
) -> Result<Vec<ListedMedia>, MediaError> {
    let rows = list(db, scope, number).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(ListedMedia {
            url: public_url(store, scope, number, &row.name).await?,
            row,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(
            ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"just some text, named .png"), None);
        assert_eq!(ImageKind::sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn etags_match_quoted_weak_and_lists() {
        assert!(etag_matches("\"abc\"", "abc"));
        assert!(etag_matches("W/\"abc\", \"def\"", "def"));
        assert!(etag_matches("*", "abc"));
        assert!(!etag_matches("\"abd\"", "abc"));
    }
}

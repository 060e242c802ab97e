//! Object storage for brand files, keyed by brand.
//!
//! Every key is `{brand slug}/...` and is built here from a resolved [`TenantScope`], never from
//! a string a client sent: `fiber-x/imports/2026-11/<import id>.csv`,
//! `fiber-x/products/0042/hero.webp`. A file name a client supplies becomes a [`MediaName`]
//! first: path separators, backslashes, `..`, percent signs (encoded traversal) and control
//! characters are refused, and what remains is reduced to `[a-z0-9_-]` plus an extension the
//! service chooses. A key read back from the database ([`ObjectKey::stored`]) is checked again:
//! it must start with the scope's own slug and contain only plain segments. Every
//! [`MediaStore`] method takes the scope and refuses a key of another brand.
//!
//! Backends (`object_store`): a local directory (`{DATA_DIR}/files`, the default) or an S3-compatible
//! bucket (`S3_*`). On S3, storefront URLs are presigned GETs ([`MediaStore::presigned_get`]);
//! on a local directory the API serves the bytes itself.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use chrono::{DateTime, Datelike, Utc};
use futures::TryStreamExt as _;
use object_store::{
    ObjectStore, ObjectStoreExt as _, PutPayload,
    aws::{AmazonS3, AmazonS3Builder},
    local::LocalFileSystem,
    memory::InMemory,
    path::Path,
    signer::Signer as _,
};
use uuid::Uuid;

use crate::{
    config::{StorageBackend, StorageSettings},
    scope::TenantScope,
};

/// Why a storage operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A client-supplied file name that cannot become part of a key.
    #[error("invalid file name: {0}")]
    InvalidName(&'static str),
    /// A key that is not inside the scope's brand prefix, or not a plain key at all.
    #[error("the key is not in this brand's storage")]
    OutsideBrand,
    #[error("no such object")]
    NotFound,
    #[error("object storage failed: {0}")]
    Backend(object_store::Error),
}

impl From<object_store::Error> for StorageError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => StorageError::NotFound,
            // A local key that runs through a file (`.../logo.png/x`) is no object either; the
            // local backend reports it as a failure to open the file.
            other if names_no_file(&other) => StorageError::NotFound,
            other => StorageError::Backend(other),
        }
    }
}

/// Whether an I/O error under `e` says the path is not there or not a directory.
fn names_no_file(e: &object_store::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            );
        }
        source = cause.source();
    }
    false
}

/// The longest sanitised file stem kept.
const MAX_STEM: usize = 80;

/// A client-supplied file name made safe for a key: `[a-z0-9]` at both ends, `[a-z0-9_-]`
/// between, at most 80 characters, plus an extension chosen by the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaName(String);

impl MediaName {
    /// Sanitises `raw` and gives it `extension` (the client's own extension is dropped: the
    /// service decides the type from the bytes). Refuses anything that looks like a path.
    pub fn parse(raw: &str, extension: &str) -> Result<Self, StorageError> {
        if raw.is_empty() || raw.len() > 255 {
            return Err(StorageError::InvalidName("1 to 255 bytes"));
        }
        if raw.contains(['/', '\\']) {
            return Err(StorageError::InvalidName("no path separators"));
        }
        if raw.contains("..") {
            return Err(StorageError::InvalidName("no '..'"));
        }
        if raw.contains('%') {
            // Percent-encoding has no place in a file name, and `%2e%2e%2f` is `../`.
            return Err(StorageError::InvalidName("no percent signs"));
        }
        if raw.chars().any(|c| c.is_control()) || raw.contains(':') || raw.starts_with('~') {
            return Err(StorageError::InvalidName(
                "no control characters, ':' or leading '~'",
            ));
        }
        if raw.trim_start().starts_with('.') {
            return Err(StorageError::InvalidName("no hidden files"));
        }
        let stem = match raw.rsplit_once('.') {
            Some((stem, _ext)) => stem,
            None => raw,
        };
        let mut out = String::with_capacity(stem.len());
        for c in deunicode::deunicode(stem).chars() {
            let c = c.to_ascii_lowercase();
            let mapped = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '-'
            };
            if mapped == '-' && out.ends_with('-') {
                continue;
            }
            out.push(mapped);
        }
        let trimmed: String = out
            .trim_matches(|c| c == '-' || c == '_')
            .chars()
            .take(MAX_STEM)
            .collect();
        let stem = trimmed.trim_end_matches(['-', '_']);
        if stem.is_empty() {
            return Err(StorageError::InvalidName(
                "the name needs at least one letter or digit",
            ));
        }
        if !matches!(extension, "jpg" | "png" | "webp" | "csv") {
            return Err(StorageError::InvalidName("unsupported extension"));
        }
        Ok(Self(format!("{stem}.{extension}")))
    }

    /// A name as stored (already sanitised): checked again, never trusted.
    pub fn stored(name: &str) -> Result<Self, StorageError> {
        let (stem, ext) = name
            .rsplit_once('.')
            .ok_or(StorageError::InvalidName("no extension"))?;
        let again = Self::parse(name, ext)?;
        if again.0 != name || stem.is_empty() {
            return Err(StorageError::InvalidName("not a sanitised name"));
        }
        Ok(again)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MediaName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key inside one brand's prefix. The constructors take the scope, so the first segment is
/// always the resolved brand's slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey {
    brand: String,
    key: String,
}

/// A segment of a key: ASCII letters, digits, `-`, `_` and `.`, never `.` or `..` alone.
/// Capitals are allowed (invoice files are `INV-{number}.pdf`); the first segment must still be
/// the scope's own (lowercase) slug, compared exactly.
fn plain_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl ObjectKey {
    /// `{slug}/imports/{YYYY-MM}/{id}.csv`: an uploaded import file.
    pub fn import(scope: &TenantScope, id: Uuid, at: DateTime<Utc>) -> Self {
        Self {
            brand: scope.slug().to_owned(),
            key: format!(
                "{}/imports/{:04}-{:02}/{id}.csv",
                scope.slug(),
                at.year(),
                at.month()
            ),
        }
    }

    /// `{slug}/products/{number, 4+ digits}/{name}`: an image of a product.
    pub fn product_media(scope: &TenantScope, number: i32, name: &MediaName) -> Self {
        Self {
            brand: scope.slug().to_owned(),
            key: format!("{}/products/{number:04}/{name}", scope.slug()),
        }
    }

    /// `{slug}/invoices/{YYYY-MM}/INV-{number}.pdf`: the PDF of the brand's invoice `number`,
    /// issued at `issued_at` (its month in UTC).
    pub fn invoice(scope: &TenantScope, number: i64, issued_at: DateTime<Utc>) -> Self {
        Self {
            brand: scope.slug().to_owned(),
            key: format!(
                "{}/invoices/{:04}-{:02}/INV-{number}.pdf",
                scope.slug(),
                issued_at.year(),
                issued_at.month()
            ),
        }
    }

    /// `{slug}/credit-notes/{YYYY-MM}/CN-{number}.pdf`: the PDF of the brand's credit note
    /// `number`, issued at `issued_at` (its month in UTC).
    pub fn credit_note(scope: &TenantScope, number: i64, issued_at: DateTime<Utc>) -> Self {
        Self {
            brand: scope.slug().to_owned(),
            key: format!(
                "{}/credit-notes/{:04}-{:02}/CN-{number}.pdf",
                scope.slug(),
                issued_at.year(),
                issued_at.month()
            ),
        }
    }

    /// A key read back from the database: it must be a plain key inside the scope's prefix.
    pub fn stored(scope: &TenantScope, key: &str) -> Result<Self, StorageError> {
        let mut segments = key.split('/');
        if segments.next() != Some(scope.slug()) {
            return Err(StorageError::OutsideBrand);
        }
        let rest: Vec<&str> = segments.collect();
        if rest.is_empty() || !rest.iter().all(|s| plain_segment(s)) {
            return Err(StorageError::OutsideBrand);
        }
        Ok(Self {
            brand: scope.slug().to_owned(),
            key: key.to_owned(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// The key for the backend, after checking it belongs to `scope`. Redundant with the
    /// constructors on purpose: a key travels, and this is the last door before the bytes.
    fn path_for(&self, scope: &TenantScope) -> Result<Path, StorageError> {
        if self.brand != scope.slug()
            || !self.key.starts_with(&format!("{}/", scope.slug()))
            || !self.key.split('/').all(plain_segment)
        {
            return Err(StorageError::OutsideBrand);
        }
        Path::parse(&self.key).map_err(|_| StorageError::OutsideBrand)
    }
}

enum Backend {
    Local(LocalFileSystem),
    S3 { store: AmazonS3, url_ttl: Duration },
    Memory(InMemory),
}

/// The brand-keyed object store. Cheap to clone.
#[derive(Clone)]
pub struct MediaStore {
    backend: Arc<Backend>,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore")
            .field("backend", &self.backend_name())
            .finish()
    }
}

impl MediaStore {
    /// The configured backend. A local directory is created if missing.
    pub fn from_settings(settings: &StorageSettings) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        use secrecy::ExposeSecret as _;
        let backend = match &settings.backend {
            StorageBackend::Local { dir } => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating DATA_DIR {}", dir.display()))?;
                Backend::Local(
                    LocalFileSystem::new_with_prefix(dir)
                        .with_context(|| format!("opening DATA_DIR {}", dir.display()))?,
                )
            }
            StorageBackend::S3(s3) => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(s3.secret_access_key.expose_secret());
                if let Some(endpoint) = &s3.endpoint {
                    // Path-style requests (`endpoint/bucket/key`) work with every S3-compatible
                    // server; plain http only for an explicitly configured http endpoint.
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_virtual_hosted_style_request(false)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                Backend::S3 {
                    store: builder.build().context("configuring S3 (S3_* variables)")?,
                    url_ttl: settings.media_url_ttl,
                }
            }
        };
        Ok(Self {
            backend: Arc::new(backend),
        })
    }

    /// A store in process memory: for tooling that needs a state but no files (the spec
    /// generator) and for tests.
    pub fn in_memory() -> Self {
        Self {
            backend: Arc::new(Backend::Memory(InMemory::new())),
        }
    }

    /// `local`, `s3` or `memory`.
    pub fn backend_name(&self) -> &'static str {
        match &*self.backend {
            Backend::Local(_) => "local",
            Backend::S3 { .. } => "s3",
            Backend::Memory(_) => "memory",
        }
    }

    fn store(&self) -> &dyn ObjectStore {
        match &*self.backend {
            Backend::Local(s) => s,
            Backend::S3 { store, .. } => store,
            Backend::Memory(s) => s,
        }
    }

    pub async fn put(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        bytes: Bytes,
    ) -> Result<(), StorageError> {
        let path = key.path_for(scope)?;
        self.store().put(&path, PutPayload::from(bytes)).await?;
        Ok(())
    }

    pub async fn get(&self, scope: &TenantScope, key: &ObjectKey) -> Result<Bytes, StorageError> {
        let path = key.path_for(scope)?;
        Ok(self.store().get(&path).await?.bytes().await?)
    }

    /// The size of an object in bytes, without reading it.
    pub async fn size(&self, scope: &TenantScope, key: &ObjectKey) -> Result<u64, StorageError> {
        let path = key.path_for(scope)?;
        Ok(self.store().head(&path).await?.size)
    }

    /// Deletes an object; one that is already gone is fine.
    pub async fn delete(&self, scope: &TenantScope, key: &ObjectKey) -> Result<(), StorageError> {
        let path = key.path_for(scope)?;
        match self.store().delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every key under the brand's prefix (operations and tests).
    pub async fn list(&self, scope: &TenantScope) -> Result<Vec<String>, StorageError> {
        let prefix = Path::parse(scope.slug()).map_err(|_| StorageError::OutsideBrand)?;
        let mut keys: Vec<String> = self
            .store()
            .list(Some(&prefix))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await?;
        keys.sort();
        Ok(keys)
    }

    /// A presigned GET URL when the backend is S3 (valid for `MEDIA_URL_TTL_SECS`); `None` for
    /// backends whose files the API serves itself.
    pub async fn presigned_get(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
    ) -> Result<Option<String>, StorageError> {
        let path = key.path_for(scope)?;
        match &*self.backend {
            Backend::S3 { store, url_ttl } => Ok(Some(
                store
                    .signed_url(object_store::signer::Method::GET, &path, *url_ttl)
                    .await?
                    .to_string(),
            )),
            Backend::Local(_) | Backend::Memory(_) => Ok(None),
        }
    }

    /// Whether storefront media URLs are presigned (S3) rather than served by the API.
    pub fn presigns(&self) -> bool {
        matches!(&*self.backend, Backend::S3 { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(slug: &str) -> TenantScope {
        TenantScope::new(
            Arc::new(crate::scope::Tenant {
                id: Uuid::new_v4(),
                slug: slug.into(),
                name: slug.into(),
                sku_prefix: "SZM".into(),
                currency: "EUR".into(),
                is_active: true,
            }),
            crate::scope::Actor::System,
        )
    }

    #[test]
    fn invoice_keys_are_the_brands_by_month_and_number() {
        let (suzume, fiber_x) = (scope("suzume"), scope("fiber-x"));
        let at: DateTime<Utc> = "2025-03-31T23:59:59Z".parse().unwrap();
        let key = ObjectKey::invoice(&suzume, 1842, at);
        assert_eq!(key.as_str(), "suzume/invoices/2025-03/INV-1842.pdf");
        assert!(key.path_for(&suzume).is_ok());
        assert!(matches!(
            key.path_for(&fiber_x),
            Err(StorageError::OutsideBrand)
        ));
        assert_eq!(ObjectKey::stored(&suzume, key.as_str()).unwrap(), key);
        assert!(ObjectKey::stored(&fiber_x, key.as_str()).is_err());
        assert!(ObjectKey::stored(&suzume, "SUZUME/invoices/2025-03/INV-1.pdf").is_err());
        let note = ObjectKey::credit_note(&suzume, 7, at);
        assert_eq!(note.as_str(), "suzume/credit-notes/2025-03/CN-7.pdf");
        assert!(note.path_for(&suzume).is_ok());
        assert!(matches!(
            note.path_for(&fiber_x),
            Err(StorageError::OutsideBrand)
        ));
        assert_eq!(ObjectKey::stored(&suzume, note.as_str()).unwrap(), note);
    }

    #[test]
    fn names_are_sanitised_or_refused() {
        let ok = |raw: &str, ext: &str| MediaName::parse(raw, ext).unwrap().0;
        assert_eq!(ok("hero.webp", "webp"), "hero.webp");
        assert_eq!(ok("Hero Shot (1).PNG", "png"), "hero-shot-1.png");
        assert_eq!(ok("Crème brûlée.jpeg", "jpg"), "creme-brulee.jpg");
        assert_eq!(ok("back_label", "png"), "back_label.png");
        assert_eq!(ok("suzume", "png"), "suzume.png");
        for bad in [
            "../suzume/x.png",
            "..",
            "/etc/passwd",
            "a/b.png",
            "a\\b.png",
            "..\\..\\x.png",
            "%2e%2e%2fsuzume.png",
            "x%2fy.png",
            ".hidden.png",
            "c:evil.png",
            "~root.png",
            "a\u{0}b.png",
            "",
            "!!!.png",
            "suzume/products/0001/x.png",
        ] {
            assert!(MediaName::parse(bad, "png").is_err(), "{bad:?}");
        }
        assert!(MediaName::parse("x.png", "exe").is_err());
        assert!(MediaName::stored("hero.webp").is_ok());
        // Capitals are plain in keys (invoice files), never in the brand's first segment.
        assert!(plain_segment("INV-1842.pdf"));
        for bad in ["", ".", "..", "a b", "a%2e", "ü", "a\\b"] {
            assert!(!plain_segment(bad), "{bad:?}");
        }
        assert!(MediaName::stored("Hero.webp").is_err());
        assert!(MediaName::stored("../x.webp").is_err());
    }
}

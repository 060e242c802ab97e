//! Password hashing (argon2id, the crate's default parameters: 19 MiB, 2 passes) on the
//! blocking pool, so a login never stalls the async workers.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use secrecy::{ExposeSecret, SecretString};

/// A bound on the password verifications logins run at once (each takes 19 MiB and a blocking
/// thread for tens of milliseconds). Clones share the bound.
#[derive(Clone)]
pub struct HashGate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
}

impl HashGate {
    /// `permits` verifications at once; a caller waits at most `wait` for one.
    pub fn new(permits: usize, wait: std::time::Duration) -> Self {
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(permits)),
            wait,
        }
    }

    /// A turn to verify a password, or `None` when every permit stayed busy for the wait.
    pub async fn enter(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // A free permit is taken at once: the timeout polls the acquisition before its clock.
        tokio::time::timeout(self.wait, self.permits.acquire())
            .await
            .ok()?
            .ok()
    }
}

/// The shortest password accepted for a staff account.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Hashes a password into a PHC string.
pub async fn hash(password: SecretString) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// Verifies `password` against `phc`. With `phc = None` (no such account) it verifies against
/// a fixed hash of the same cost and returns false, so an unknown email costs the same time as
/// a wrong password.
pub async fn verify(password: SecretString, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok();
        ok && known
    })
    .await
    .unwrap_or(false)
}

/// The argon2id hash of 32 random bytes nobody kept, with the default parameters: what a
/// login for an unknown email is checked against. A constant, so nothing can fail at run time;
/// a unit test keeps its parameters equal to the ones new hashes get.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$+4oawEzloVbxaWX9THxbqw$YdwPwQg8UiQXoCZ8SfNtLAlYF0rcy9GY95oDh4UoUtU";

/// Problems with a new password, if any.
pub fn check_strength(password: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Some(format!("at least {MIN_PASSWORD_CHARS} characters"));
    }
    if password.len() > 1024 {
        return Some("at most 1024 bytes".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let phc = hash("correct horse battery".to_owned().into())
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".to_owned().into(), Some(phc.clone())).await);
        assert!(!verify("wrong horse battery".to_owned().into(), Some(phc)).await);
        assert!(!verify("anything at all".to_owned().into(), None).await);
    }
    /// An unknown email must cost what a wrong password costs: the dummy hash parses and has
    /// the parameters (algorithm, version, memory, passes, lanes) new hashes get.
    #[tokio::test]
    async fn the_dummy_hash_costs_what_a_real_one_costs() {
        let real = hash("correct horse battery".to_owned().into())
            .await
            .unwrap();
        let real = PasswordHash::new(&real).unwrap();
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
    }
}

//! HTTP Basic credentials, checked against the identity store's password hashes,
//! with a short-lived cache so that argon2 (tens of milliseconds by design) runs
//! once per user and minute rather than once per request.
//!
//! The cache holds, per user id, an HMAC-SHA-256 of `user:password` under a key
//! drawn at start and never stored (so the memory holds neither the password
//! nor a fast unkeyed hash of it), the user's [`Principal`], the moment of the
//! check and the engine's [`Engine::identity_generation`] read before the
//! check. An entry answers only while that generation is unchanged and for
//! [`TTL`]: any committed change to users, passwords, groups, memberships,
//! tenants or authorizations voids every entry, so a changed password, a
//! deleted user or a removed membership counts from the very next request.
//! Wrong passwords are never cached.
//!
//! The slow checks are bounded: at most [`verifiers`] run at once, and the
//! rest wait their turn (asynchronously, holding no thread), so a flood of
//! wrong passwords can keep at most that many cores hashing, never all of them
//! nor the blocking pool's 512 threads at 19 MiB of argon2 memory each. A
//! request that waited looks at the cache again before hashing: a crowd of
//! clients arriving at once with the same credentials costs one check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use baton_engine::{Engine, Principal};
use ring::hmac;
use tokio::sync::Semaphore;

/// How long a verified credential is trusted without another hash check, if
/// nothing about identities changes meanwhile.
pub(crate) const TTL: Duration = Duration::from_secs(60);

/// The most users whose credentials are cached at once; past it, expired
/// entries go, and if none had, the whole cache.
pub(crate) const CAPACITY: usize = 10_000;

/// Standard base64, with or without padding (clients differ).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How many password checks may run at once: half the cores, at least one and
/// at most four.
pub(crate) fn verifiers() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    (cores / 2).clamp(1, 4)
}

/// One verified credential.
struct Entry {
    /// HMAC of `user:password`.
    tag: hmac::Tag,
    principal: Arc<Principal>,
    /// [`Engine::identity_generation`] before the check.
    generation: u64,
    verified: Instant,
}

/// HTTP Basic authentication with its cache.
pub(crate) struct Basic {
    key: hmac::Key,
    entries: Mutex<HashMap<String, Entry>>,
    verifying: Semaphore,
}

impl Basic {
    /// An empty cache under a fresh random key.
    pub(crate) fn new() -> Self {
        let rng = ring::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).unwrap_or_else(|_| {
            // The system's random source failed; a key from the clock and the
            // address space still keeps the cache from holding plain digests.
            let seed = format!("{:?}{:p}", Instant::now(), &rng);
            hmac::Key::new(hmac::HMAC_SHA256, seed.as_bytes())
        });
        Basic {
            key,
            entries: Mutex::new(HashMap::new()),
            verifying: Semaphore::new(verifiers()),
        }
    }

    /// The principal of the credentials in `value` (`Basic base64(user:password)`),
    /// or `None` when they are malformed or wrong.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub(crate) async fn authenticate(
        &self,
        engine: &Engine,
        value: &HeaderValue,
    ) -> baton_engine::Result<Option<Arc<Principal>>> {
        let Some((user, password)) = credentials(value) else {
            return Ok(None);
        };
        let message = format!("{user}:{password}");
        if let Some(p) = self.cached(&user, &message, engine.identity_generation()) {
            return Ok(Some(p));
        }
        let Ok(_permit) = self.verifying.acquire().await else {
            return Ok(None);
        };
        let generation = engine.identity_generation();
        if let Some(p) = self.cached(&user, &message, generation) {
            return Ok(Some(p));
        }
        if !engine.verify_password(&user, &password).await? {
            return Ok(None);
        }
        let principal = Arc::new(engine.principal(&user, &[]).await?);
        self.store(user, &message, principal.clone(), generation);
        Ok(Some(principal))
    }

    /// The cached principal of `user` if `message` is what was verified for
    /// them, still valid at `generation`.
    fn cached(&self, user: &str, message: &str, generation: u64) -> Option<Arc<Principal>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(user)?;
        if entry.generation != generation || entry.verified.elapsed() >= TTL {
            entries.remove(user);
            return None;
        }
        hmac::verify(&self.key, message.as_bytes(), entry.tag.as_ref())
            .ok()
            .map(|()| entry.principal.clone())
    }

    /// Remembers a verified credential.
    fn store(&self, user: String, message: &str, principal: Arc<Principal>, generation: u64) {
        let tag = hmac::sign(&self.key, message.as_bytes());
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY && !entries.contains_key(&user) {
            entries.retain(|_, e| e.generation == generation && e.verified.elapsed() < TTL);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            user,
            Entry {
                tag,
                principal,
                generation,
                verified: Instant::now(),
            },
        );
    }
}

/// The user and password of `Basic base64(user:password)`: `None` for another
/// scheme, base64 that does not decode, a decoded text that is not UTF-8 or has
/// no colon, or an empty user. The password is what follows the first colon,
/// colons included.
fn credentials(value: &HeaderValue) -> Option<(String, String)> {
    let token = super::token(value, "Basic")?;
    let decoded = BASE64.decode(token).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    if user.is_empty() {
        return None;
    }
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &[u8]) -> Option<(String, String)> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
        credentials(&HeaderValue::from_str(&format!("Basic {encoded}")).expect("a header"))
    }

    #[test]
    fn credentials_are_user_colon_password() {
        assert_eq!(
            basic(b"demo:s3cr:et"),
            Some(("demo".into(), "s3cr:et".into()))
        );
        assert_eq!(basic(b"demo:"), Some(("demo".into(), String::new())));
        assert_eq!(basic(b"demo"), None, "no colon");
        assert_eq!(basic(b":pw"), None, "no user");
        assert_eq!(basic(b"d\xffmo:pw"), None, "not UTF-8");
        let unpadded = HeaderValue::from_static("Basic ZGVtbzpkZW1vMQ");
        assert_eq!(
            credentials(&unpadded),
            Some(("demo".into(), "demo1".into()))
        );
        let bad = HeaderValue::from_static("Basic ZGVt*bzpkZW1v");
        assert_eq!(credentials(&bad), None, "not base64");
    }

    #[tokio::test]
    async fn a_membership_change_counts_from_the_next_request() {
        let engine = Engine::open(baton_engine::Config::memory()).expect("an engine");
        let user = baton_engine::User {
            id: "demo".into(),
            ..baton_engine::User::default()
        };
        engine.create_user(user, Some("pw")).await.expect("a user");
        let group = baton_engine::Group {
            id: "clerks".into(),
            ..baton_engine::Group::default()
        };
        engine.create_group(group).await.expect("a group");
        engine
            .add_group_member("clerks", "demo")
            .await
            .expect("a member");
        let basic = Basic::new();
        let header = HeaderValue::from_static("Basic ZGVtbzpwdw==");
        let who = async || {
            basic
                .authenticate(&engine, &header)
                .await
                .expect("no storage error")
                .map(|p| p.groups.clone())
        };
        assert_eq!(who().await, Some(vec!["clerks".to_owned()]));
        assert_eq!(who().await, Some(vec!["clerks".to_owned()]), "cached");
        engine
            .remove_group_member("clerks", "demo")
            .await
            .expect("removed");
        assert_eq!(who().await, Some(vec![]), "the next request sees it");
        engine
            .add_group_member("clerks", "demo")
            .await
            .expect("a member again");
        assert_eq!(who().await, Some(vec!["clerks".to_owned()]));
        engine.delete_group("clerks").await.expect("deleted");
        assert_eq!(who().await, Some(vec![]));
    }

    #[test]
    fn verifiers_are_few() {
        assert!((1..=4).contains(&verifiers()));
    }
}

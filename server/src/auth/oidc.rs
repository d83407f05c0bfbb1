//! Bearer tokens of an OpenID Connect provider: JSON Web Tokens signed with
//! RS256 or ES256 by a key of the provider's JWKS document, checked for their
//! signature, expiry (`exp`, required), not-before (`nbf`, when present),
//! issuer (`iss`, required) and audience (`aud`, required) by `jsonwebtoken`
//! over `ring`.
//!
//! The JWKS document is read at start, from a file or an `http://` or
//! `https://` URL (HTTP/1.1 through hyper's client, within 10 s and 1 MiB). Over
//! `https://` the provider's certificate is verified by rustls (over `ring`)
//! against the system's root certificates, as `rustls-native-certs` finds them
//! (`SSL_CERT_FILE` and `SSL_CERT_DIR` override where), together with those of
//! [`OidcConfig::ca_file`]; they are loaded once, at start, and starting fails
//! when there are none. When a
//! token names a key (`kid`) the document does not have, as after the
//! provider rotated its keys, the document is read again, at most once per
//! [`OidcConfig::refresh_interval`] (one reader at a time; the others wait for
//! its result), so that a stream of tokens with made-up key ids cannot make
//! Baton hammer the provider. A document that cannot be read then leaves the
//! keys as they were.
//!
//! The user is the token's [`OidcConfig::user_claim`] (a non-empty string),
//! and its groups those of [`OidcConfig::groups_claim`] (a list of strings, or
//! one string) together with the user's groups in Baton's identity store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, Uri};
use baton_engine::{Engine, Principal};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use tokio_rustls::TlsConnector;

/// The largest JWKS document read, in bytes.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// How long reading a JWKS URL may take, connecting included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The clock skew allowed on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: u64 = 60;

/// What `--auth oidc` is told: where tokens come from and whom they are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The issuer tokens must name in `iss`, exactly.
    pub issuer: String,
    /// The audience tokens must name in `aud` (alone or among others).
    pub audience: String,
    /// The provider's JWKS document: a file path, or an `http://` or
    /// `https://` URL.
    pub jwks: String,
    /// The claim holding the user id: `sub` by default.
    pub user_claim: String,
    /// The claim holding the user's groups: `groups` by default.
    pub groups_claim: String,
    /// The least time between two readings of the JWKS document when tokens
    /// name unknown keys: 30 s by default.
    pub refresh_interval: Duration,
    /// A PEM file of certificate authorities trusted for an `https://` JWKS
    /// URL besides the system's root certificates, such as the private CA that
    /// signed the provider's certificate: `None` by default. Only an
    /// `https://` URL may have one.
    pub ca_file: Option<PathBuf>,
}

impl OidcConfig {
    /// A configuration with the default claims and refresh interval.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        jwks: impl Into<String>,
    ) -> Self {
        OidcConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks: jwks.into(),
            user_claim: "sub".into(),
            groups_claim: "groups".into(),
            refresh_interval: Duration::from_secs(30),
            ca_file: None,
        }
    }
}

/// Why [`Oidc::load`] could not set up token checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcError(String);

impl std::fmt::Display for OidcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OidcError {}

/// Token checks ready to use, with the provider's keys loaded
/// ([`crate::Auth::Oidc`]); cloning shares the keys.
#[derive(Clone)]
pub struct Oidc {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("config", &self.inner.config)
            .field("keys", &self.inner.keys().len())
            .finish()
    }
}

struct Inner {
    config: OidcConfig,
    source: Source,
    validation: HashMap<Algorithm, Validation>,
    keys: RwLock<Arc<Vec<Key>>>,
    /// When the document was last read for an unknown key; held while it is.
    refreshed: tokio::sync::Mutex<Option<Instant>>,
}

/// Where the JWKS document comes from.
enum Source {
    File(PathBuf),
    /// An `http://` URL, or an `https://` one with the TLS client to read it.
    Url {
        uri: Uri,
        tls: Option<TlsConnector>,
    },
}

/// A signing key of the document.
#[derive(Clone)]
struct Key {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

impl Oidc {
    /// Checks the configuration and reads the JWKS document.
    ///
    /// # Errors
    ///
    /// An empty issuer, audience or claim name; an unusable URL; for an
    /// `https://` URL, no root certificates to trust or a CA file that cannot be
    /// read or holds none; a CA file with a JWKS location that is not an
    /// `https://` URL; a document that cannot be read (over `https://`, also
    /// from a provider whose certificate is not trusted), is not a JWKS, or has
    /// no RS256 or ES256 signing key.
    pub async fn load(config: OidcConfig) -> Result<Oidc, OidcError> {
        for (what, value) in [
            ("issuer", &config.issuer),
            ("audience", &config.audience),
            ("JWKS location", &config.jwks),
            ("user claim", &config.user_claim),
            ("groups claim", &config.groups_claim),
        ] {
            if value.trim().is_empty() {
                return Err(OidcError(format!("the OIDC {what} must not be empty")));
            }
        }
        let source = source(&config.jwks, config.ca_file.as_deref())?;
        let keys = read(&source).await?;
        let validation = [Algorithm::RS256, Algorithm::ES256]
            .into_iter()
            .map(|alg| (alg, validation(&config, alg)))
            .collect();
        Ok(Oidc {
            inner: Arc::new(Inner {
                config,
                source,
                validation,
                keys: RwLock::new(Arc::new(keys)),
                refreshed: tokio::sync::Mutex::new(None),
            }),
        })
    }

    /// The principal of `Bearer {token}` in `value`, or `None` when the token is
    /// missing, malformed, forged, expired, not yet valid, or for someone else.
    ///
    /// # Errors
    ///
    /// Storage errors only.
    pub(crate) async fn authenticate(
        &self,
        engine: &Engine,
        value: &HeaderValue,
    ) -> baton_engine::Result<Option<Arc<Principal>>> {
        let Some(token) = super::token(value, "Bearer") else {
            return Ok(None);
        };
        let claims = match self.claims(token).await {
            Ok(claims) => claims,
            Err(why) => {
                tracing::debug!(reason = why, "bearer token refused");
                return Ok(None);
            }
        };
        let config = &self.inner.config;
        let user = match claims.get(&config.user_claim) {
            Some(Value::String(user)) if !user.trim().is_empty() => user,
            _ => {
                tracing::debug!(claim = %config.user_claim, "bearer token without a user");
                return Ok(None);
            }
        };
        let groups: Vec<String> = match claims.get(&config.groups_claim) {
            Some(Value::Array(groups)) => groups
                .iter()
                .filter_map(|g| g.as_str())
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect(),
            Some(Value::String(group)) if !group.is_empty() => vec![group.clone()],
            _ => Vec::new(),
        };
        Ok(Some(Arc::new(engine.principal(user, &groups).await?)))
    }

    /// The claims of a token whose signature and claims check out.
    async fn claims(&self, token: &str) -> Result<serde_json::Map<String, Value>, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(format!("algorithm {:?}", header.alg));
        }
        let key = match self.key(header.kid.as_deref(), header.alg) {
            Some(key) => key,
            None => self
                .refresh_for(header.kid.as_deref(), header.alg)
                .await
                .ok_or_else(|| format!("no key {:?} for {:?}", header.kid, header.alg))?,
        };
        let validation = self
            .inner
            .validation
            .get(&key.alg)
            .ok_or("no validation for the algorithm")?;
        jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &key.key, validation)
            .map(|data| data.claims)
            .map_err(|e| e.to_string())
    }

    /// The key `kid` for `alg`; without a `kid`, the document's only key for it.
    fn key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Key> {
        let keys = self.inner.keys();
        let mut fitting = keys
            .iter()
            .filter(|k| k.alg == alg && (kid.is_none() || k.kid.as_deref() == kid));
        let first = fitting.next()?;
        if kid.is_none() && fitting.next().is_some() {
            return None;
        }
        Some(first.clone())
    }

    /// Reads the document again, if it was not read within the refresh
    /// interval, and looks for the key once more.
    async fn refresh_for(&self, kid: Option<&str>, alg: Algorithm) -> Option<Key> {
        // Only a token naming a key can ask for one that is new.
        kid?;
        let mut refreshed = self.inner.refreshed.lock().await;
        // Another request may have read it while this one waited.
        if let Some(key) = self.key(kid, alg) {
            return Some(key);
        }
        if refreshed.is_some_and(|at| at.elapsed() < self.inner.config.refresh_interval) {
            return None;
        }
        *refreshed = Some(Instant::now());
        match read(&self.inner.source).await {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "read the JWKS document again");
                *self
                    .inner
                    .keys
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the JWKS document again"),
        }
        self.key(kid, alg)
    }
}

impl Inner {
    fn keys(&self) -> Arc<Vec<Key>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The checks of a token signed with `alg`.
fn validation(config: &OidcConfig, alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.set_issuer(&[&config.issuer]);
    v.set_audience(&[&config.audience]);
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    v.validate_exp = true;
    v.validate_nbf = true;
    v.leeway = LEEWAY_SECS;
    v
}

/// Where `--oidc-jwks` points, with the TLS client of an `https://` URL,
/// which trusts the roots of `ca_file` too.
fn source(jwks: &str, ca_file: Option<&Path>) -> Result<Source, OidcError> {
    let lower = jwks.to_ascii_lowercase();
    let https = lower.starts_with("https://");
    if let (false, Some(ca_file)) = (https, ca_file) {
        return Err(OidcError(format!(
            "the OIDC CA file {} is for an https:// JWKS URL only, and the JWKS is at {jwks}",
            ca_file.display()
        )));
    }
    if https || lower.starts_with("http://") {
        let uri: Uri = jwks
            .parse()
            .map_err(|e| OidcError(format!("{jwks} is not a URL: {e}")))?;
        if uri.host().is_none_or(str::is_empty) {
            return Err(OidcError(format!("{jwks} has no host")));
        }
        let tls = if https {
            Some(connector(ca_file)?)
        } else {
            None
        };
        return Ok(Source::Url { uri, tls });
    }
    if lower.contains("://") {
        return Err(OidcError(format!(
            "cannot read the JWKS at {jwks}: give a file path or an http:// or https:// URL"
        )));
    }
    Ok(Source::File(PathBuf::from(jwks)))
}

/// A TLS client (HTTP/1.1 only) that trusts the system's root certificates and
/// those of `ca_file`, with rustls' safe defaults over `ring`.
fn connector(ca_file: Option<&Path>) -> Result<TlsConnector, OidcError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (_, unusable) = roots.add_parsable_certificates(native.certs);
    if unusable > 0 {
        tracing::debug!(unusable, "system root certificates left out");
    }
    for e in &native.errors {
        tracing::debug!(error = %e, "cannot load some of the system's root certificates");
    }
    if let Some(path) = ca_file {
        let bad = |why: String| {
            OidcError(format!(
                "cannot read the OIDC CA file {}: {why}",
                path.display()
            ))
        };
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| bad(e.to_string()))?;
            roots
                .add(cert)
                .map_err(|e| bad(format!("certificate {}: {e}", found + 1)))?;
            found += 1;
        }
        if found == 0 {
            return Err(bad("it holds no PEM certificate".into()));
        }
    }
    if roots.is_empty() {
        let why: Vec<String> = native.errors.iter().map(ToString::to_string).collect();
        return Err(OidcError(format!(
            "cannot read an https:// JWKS URL: no root certificates were found on this \
             system{}; install them (such as the ca-certificates package), point \
             SSL_CERT_FILE or SSL_CERT_DIR at them, or give the CA that signed the \
             provider's certificate as the OIDC CA file (--oidc-ca)",
            if why.is_empty() {
                String::new()
            } else {
                format!(" ({})", why.join("; "))
            }
        )));
    }
    // rustls deprecated its `ring` provider for lacking post-quantum key
    // exchange, which guards secrets against later decryption: a JWKS holds
    // public keys only, and what matters here, the certificate's verification,
    // is the same. `ring` is already in the build for the tokens' signatures.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| OidcError(format!("cannot set up TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The RS256 and ES256 signing keys of the document at `source`.
async fn read(source: &Source) -> Result<Vec<Key>, OidcError> {
    let (bytes, from) = match source {
        Source::File(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                OidcError(format!("cannot read the JWKS file {}: {e}", path.display()))
            })?;
            (bytes, path.display().to_string())
        }
        Source::Url { uri, tls } => (fetch(uri, tls.as_ref()).await?, uri.to_string()),
    };
    if bytes.len() > MAX_JWKS_BYTES {
        return Err(OidcError(format!(
            "the JWKS document at {from} is larger than {MAX_JWKS_BYTES} bytes"
        )));
    }
    keys(&bytes).map_err(|e| OidcError(format!("the JWKS document at {from} {e}")))
}

/// The usable keys of a JWKS document; keys for encryption, of other types,
/// curves or algorithms, or malformed ones are left out.
fn keys(document: &[u8]) -> Result<Vec<Key>, String> {
    let doc: Value = serde_json::from_slice(document).map_err(|e| format!("is not JSON: {e}"))?;
    let list = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("has no `keys` list")?;
    let mut keys = Vec::new();
    for entry in list {
        if entry.get("use").is_some_and(|u| u != "sig") {
            continue;
        }
        let alg = match (
            entry.get("kty").and_then(Value::as_str),
            entry.get("crv").and_then(Value::as_str),
        ) {
            (Some("RSA"), _) => Algorithm::RS256,
            (Some("EC"), Some("P-256")) => Algorithm::ES256,
            _ => continue,
        };
        let named = entry.get("alg").and_then(Value::as_str);
        if named.is_some_and(|a| a != format!("{alg:?}")) {
            continue;
        }
        // jsonwebtoken reads the key parameters; the checks above decide which.
        let mut clean = entry.clone();
        if let Some(object) = clean.as_object_mut() {
            object.remove("alg");
            object.remove("key_ops");
        }
        let Ok(jwk) = serde_json::from_value::<Jwk>(clean) else {
            continue;
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        keys.push(Key {
            kid: entry.get("kid").and_then(Value::as_str).map(str::to_owned),
            alg,
            key,
        });
    }
    if keys.is_empty() {
        return Err("has no RS256 or ES256 signing key".into());
    }
    Ok(keys)
}

/// The body of `GET uri` over HTTP/1.1, in TLS through `tls` for an
/// `https://` URL, if it answers 200 within [`FETCH_TIMEOUT`] (connecting and
/// the TLS handshake included) with at most [`MAX_JWKS_BYTES`].
async fn fetch(uri: &Uri, tls: Option<&TlsConnector>) -> Result<Vec<u8>, OidcError> {
    let work = async {
        let host = uri.host().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri
            .port_u16()
            .unwrap_or(if tls.is_some() { 443 } else { 80 });
        let stream = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| e.to_string())?;
        let Some(tls) = tls else {
            return get(hyper_util::rt::TokioIo::new(stream), uri, host).await;
        };
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("{host} is not a host name: {e}"))?;
        let stream = tls.connect(name, stream).await.map_err(tls_failure)?;
        get(hyper_util::rt::TokioIo::new(stream), uri, host).await
    };
    let failed = |why: String| OidcError(format!("cannot read the JWKS at {uri}: {why}"));
    tokio::time::timeout(FETCH_TIMEOUT, work)
        .await
        .map_err(|_| failed(format!("no answer within {} s", FETCH_TIMEOUT.as_secs())))?
        .map_err(failed)
}

/// The body of `GET uri` over a connection to its `host`, if it answers 200
/// with at most [`MAX_JWKS_BYTES`].
async fn get<I>(io: I, uri: &Uri, host: &str) -> Result<Vec<u8>, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    let connection = tokio::spawn(connection);
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let request = axum::http::Request::get(path)
        .header(axum::http::header::HOST, authority)
        .header(axum::http::header::ACCEPT, "application/json")
        .body(axum::body::Body::empty())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        connection.abort();
        return Err(format!("it answered {}", response.status()));
    }
    let body = axum::body::to_bytes(axum::body::Body::new(response.into_body()), MAX_JWKS_BYTES)
        .await
        .map_err(|e| format!("{e} (at most {MAX_JWKS_BYTES} bytes are read)"));
    connection.abort();
    Ok(body?.to_vec())
}

/// Why a TLS handshake failed, with what to do when the provider's
/// certificate is not trusted.
fn tls_failure(e: std::io::Error) -> String {
    let untrusted = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|inner| matches!(inner, rustls::Error::InvalidCertificate(_)));
    if untrusted {
        format!(
            "TLS: {e}; the provider's certificate is not trusted: it must be valid for the \
             URL's host and signed by a CA among the system's root certificates or in the \
             OIDC CA file (--oidc-ca)"
        )
    } else {
        format!("TLS: {e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

    /// An ES256 key pair, its JWKS document, and a signer of claims.
    fn es256() -> (Value, impl Fn(&Value) -> String) {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("a key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("a pair");
        let point = pair.public_key().as_ref().to_vec();
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "k",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }]});
        let sign = move |claims: &Value| {
            let unsigned = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","kid":"k"}"#),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let signature = pair.sign(&rng, unsigned.as_bytes()).expect("a signature");
            format!("{unsigned}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
        };
        (jwks, sign)
    }

    #[tokio::test]
    async fn a_token_s_user_and_groups_make_the_principal_with_the_store_s() {
        let engine = Engine::open(baton_engine::Config::memory()).expect("an engine");
        let group = baton_engine::Group {
            id: "auditors".into(),
            ..baton_engine::Group::default()
        };
        engine.create_group(group).await.expect("a group");
        let user = baton_engine::User {
            id: "alice".into(),
            ..baton_engine::User::default()
        };
        engine.create_user(user, None).await.expect("a user");
        engine
            .add_group_member("auditors", "alice")
            .await
            .expect("a member");
        let (jwks, sign) = es256();
        let dir = tempfile::tempdir().expect("a folder");
        let file = dir.path().join("jwks.json");
        std::fs::write(&file, jwks.to_string()).expect("the file");
        let mut config = OidcConfig::new("iss", "aud", file.to_str().expect("UTF-8"));
        config.user_claim = "preferred_username".into();
        config.groups_claim = "roles".into();
        let oidc = Oidc::load(config).await.expect("loaded");
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs()
            + 600;
        let who = async |claims: Value| {
            let header =
                HeaderValue::from_str(&format!("Bearer {}", sign(&claims))).expect("a header");
            oidc.authenticate(&engine, &header)
                .await
                .expect("no storage error")
                .map(|p| (p.user_id.clone(), p.groups.clone()))
        };
        let base = serde_json::json!({"iss": "iss", "aud": "aud", "exp": exp});
        let with = |extra: Value| {
            let mut claims = base.clone();
            if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
                c.extend(e.clone());
            }
            claims
        };
        assert_eq!(
            who(with(
                serde_json::json!({"preferred_username": "alice", "roles": ["clerks", 7, ""]})
            ))
            .await,
            Some(("alice".into(), vec!["auditors".into(), "clerks".into()]))
        );
        assert_eq!(
            who(with(
                serde_json::json!({"preferred_username": "alice", "roles": "clerks"})
            ))
            .await,
            Some(("alice".into(), vec!["auditors".into(), "clerks".into()]))
        );
        assert_eq!(
            who(with(serde_json::json!({"preferred_username": "bob"}))).await,
            Some(("bob".into(), vec![])),
            "a user the store does not know, without groups"
        );
        assert_eq!(
            who(with(serde_json::json!({"sub": "alice"}))).await,
            None,
            "the user claim is preferred_username"
        );
    }

    #[test]
    fn sources_are_files_or_http_or_https_urls() {
        assert!(matches!(source("keys.json", None), Ok(Source::File(_))));
        assert!(matches!(
            source("/etc/baton/jwks.json", None),
            Ok(Source::File(_))
        ));
        assert!(matches!(
            source(
                "http://idp:8080/realms/x/protocol/openid-connect/certs",
                None
            ),
            Ok(Source::Url { tls: None, .. })
        ));
        assert!(source("ftp://idp/certs", None).is_err());
        assert!(source("http://", None).is_err());
        assert!(source("https://", None).is_err());
        // A CA file is for https only.
        let ca = Path::new("ca.pem");
        assert!(source("keys.json", Some(ca)).is_err());
        assert!(source("http://idp/certs", Some(ca)).is_err());
    }

    #[test]
    fn documents_keep_only_signing_keys_they_can_use() {
        let doc = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "r", "use": "sig", "alg": "RS256", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "r512", "alg": "RS512", "n": "sXch", "e": "AQAB"},
            {"kty": "EC", "kid": "e", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
            {"kty": "oct", "kid": "h", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "broken"},
            "not an object"
        ]});
        let found = keys(doc.to_string().as_bytes()).expect("keys");
        let kids: Vec<_> = found.iter().map(|k| (k.kid.as_deref(), k.alg)).collect();
        assert_eq!(
            kids,
            [(Some("r"), Algorithm::RS256), (Some("e"), Algorithm::ES256)]
        );
        assert!(keys(b"{}").is_err());
        assert!(keys(b"not json").is_err());
        assert!(keys(br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).is_err());
    }
}

//! Authentication over real HTTP: with `--auth basic`, every path under the base
//! path but `GET /engine` asks for credentials; every way of getting them wrong
//! answers the same empty 401 and changes nothing; and a change to a password,
//! a user or a membership counts from the next request.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use baton_engine::User;
use baton_server::{Auth, Options};
use common::{Server, base_loop, closing_paren, first_string, server_with};
use reqwest::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, RequestBuilder, StatusCode};

const BASIC_CHALLENGE: &str = "Basic realm=\"default\"";

/// A server with `--auth basic` and user `demo` (password `demo-pw`).
async fn basic_server() -> Server {
    let s = server_with(Options {
        auth: Auth::Basic,
        ..Options::default()
    })
    .await;
    s.engine
        .create_user(user("demo"), Some("demo-pw"))
        .await
        .unwrap();
    s
}

fn user(id: &str) -> User {
    User {
        id: id.into(),
        ..User::default()
    }
}

fn basic(user_password: &[u8]) -> HeaderValue {
    use std::fmt::Write as _;
    // Standard base64, written out so that the test does not share the
    // server's decoder.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::from("Basic ");
    for chunk in user_password.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let c = ALPHABET[((n >> (18 - 6 * i)) & 63) as usize];
                write!(out, "{}", c as char).unwrap();
            } else {
                out.push('=');
            }
        }
    }
    HeaderValue::from_str(&out).unwrap()
}

/// The status of `request`, after checking that a 401 has the exact shape of
/// Camunda Run's: an empty body and the Basic challenge.
async fn status(request: RequestBuilder) -> StatusCode {
    let response = request.send().await.unwrap();
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = response.headers().get(WWW_AUTHENTICATE).cloned();
        let body = response.bytes().await.unwrap();
        assert_eq!(
            challenge.as_ref().map(|h| h.to_str().unwrap()),
            Some(BASIC_CHALLENGE)
        );
        assert!(body.is_empty(), "a 401 has an empty body, not {body:?}");
    }
    status
}

#[tokio::test]
async fn without_credentials_everything_but_get_engine_is_a_bare_401() {
    let s = basic_server().await;
    let root = format!("http://{}", s.addr);
    for path in ["/engine", "/engine/", "//engine", "/engine/default/engine"] {
        let r = s.http.get(format!("{}{path}", s.url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "GET {path} is open");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body, serde_json::json!([{"name": "default"}]));
    }
    for (method, path) in [
        (Method::GET, "/version"),
        (Method::GET, "/version/"),
        (Method::GET, "/engine/default/version"),
        (Method::GET, "//engine//default//version"),
        (Method::GET, "/engine/default"),
        (Method::GET, ""),
        (Method::GET, "/"),
        (Method::POST, "/engine"),
        (Method::DELETE, "/engine"),
        (Method::GET, "/engine/default/"),
        (Method::GET, "/engine/other/version"),
        (Method::GET, "/%65ngine"),
        (Method::GET, "/no-such-thing"),
        (Method::GET, "/process-definition"),
        (Method::POST, "/user/create"),
        (Method::POST, "/identity/verify"),
        (Method::GET, "/external-task//complete"),
    ] {
        let request = s.http.request(method.clone(), format!("{}{path}", s.url));
        assert_eq!(
            status(request).await,
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    // Outside the base path nothing is served, with or without credentials.
    let outside = s.http.get(format!("{root}/version")).send().await.unwrap();
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
    s.shutdown().await;
}

#[tokio::test]
async fn the_right_password_lets_a_request_through_and_a_wrong_one_does_not() {
    let s = basic_server().await;
    s.engine
        .create_user(user("other"), Some("other-pw"))
        .await
        .unwrap();
    let get = |path: &str, auth: HeaderValue| {
        s.http
            .get(format!("{}{path}", s.url))
            .header(AUTHORIZATION, auth)
    };
    for path in [
        "/version",
        "/engine/default/version",
        "/process-definition/count",
    ] {
        assert_eq!(
            status(get(path, basic(b"demo:demo-pw"))).await,
            StatusCode::OK,
            "{path}"
        );
    }
    let version: serde_json::Value = get("/version", basic(b"demo:demo-pw"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(version["version"].is_string());
    // Unknown users and wrong passwords answer alike.
    for wrong in [
        &b"demo:wrong"[..],
        b"demo:demo-pw ",
        b"demo:DEMO-PW",
        b"demo:",
        b"Demo:demo-pw",
        b"demo :demo-pw",
        b"nobody:demo-pw",
        b"nobody:",
        b"demo:other-pw",
        b"other:demo-pw",
    ] {
        let shown = String::from_utf8_lossy(wrong).into_owned();
        assert_eq!(
            status(get("/version", basic(wrong))).await,
            StatusCode::UNAUTHORIZED,
            "{shown}"
        );
    }
    // The scheme's name is read without regard to case.
    let lower = basic(b"demo:demo-pw")
        .to_str()
        .unwrap()
        .replace("Basic", "basic");
    assert_eq!(
        status(get("/version", HeaderValue::from_str(&lower).unwrap())).await,
        StatusCode::OK
    );
    s.shutdown().await;
}

#[tokio::test]
async fn malformed_headers_are_a_bare_401_and_change_nothing() {
    let s = basic_server().await;
    let good = basic(b"demo:demo-pw");
    let good_token = good
        .to_str()
        .unwrap()
        .trim_start_matches("Basic ")
        .to_owned();
    let huge = format!("Basic {}", "QUFB".repeat(5_000));
    let huge_good = format!("Basic{}{good_token}", " ".repeat(20_000));
    let malformed: Vec<(&str, HeaderValue)> = vec![
        ("empty", HeaderValue::from_static("")),
        ("a scheme alone", HeaderValue::from_static("Basic")),
        ("a scheme and a space", HeaderValue::from_static("Basic ")),
        (
            "no space after the scheme",
            HeaderValue::from_str(&format!("Basic{good_token}")).unwrap(),
        ),
        (
            "another scheme",
            HeaderValue::from_str(&format!("Bearer {good_token}")).unwrap(),
        ),
        (
            "Digest",
            HeaderValue::from_static("Digest username=\"demo\", realm=\"default\""),
        ),
        (
            "the token without a scheme",
            HeaderValue::from_str(&good_token).unwrap(),
        ),
        (
            "bad base64",
            HeaderValue::from_static("Basic ZGVtbzpk*W1vLXB3"),
        ),
        (
            "base64 with garbage after",
            HeaderValue::from_str(&format!("Basic {good_token}x")).unwrap(),
        ),
        ("base64 of a text with no colon", basic(b"demodemo-pw")),
        ("an empty user", basic(b":demo-pw")),
        ("an empty user and password", basic(b":")),
        (
            "decoded bytes that are not UTF-8",
            basic(b"demo\xff:demo-pw"),
        ),
        ("a password that is not UTF-8", basic(b"demo:demo-pw\xc3")),
        (
            "header bytes that are not UTF-8",
            HeaderValue::from_bytes(b"Basic \xe4\xf6\xfc").unwrap(),
        ),
        ("a user with a NUL", basic(b"demo\0:demo-pw")),
        ("huge", HeaderValue::from_str(&huge).unwrap()),
        (
            "good credentials padded to a huge header",
            HeaderValue::from_str(&huge_good).unwrap(),
        ),
        (
            "the password in plain text",
            HeaderValue::from_static("Basic demo:demo-pw"),
        ),
    ];
    for (what, value) in &malformed {
        let request = s
            .http
            .post(format!("{}/user/create", s.url))
            .header(AUTHORIZATION, value.clone())
            .json(&serde_json::json!({"profile": {"id": "intruder"}, "credentials": {"password": "x"}}));
        assert_eq!(status(request).await, StatusCode::UNAUTHORIZED, "{what}");
    }
    // Two headers, even if one is right, are refused: which one counts would be
    // a guess.
    let twice = s
        .http
        .get(format!("{}/version", s.url))
        .header(AUTHORIZATION, good.clone())
        .header(AUTHORIZATION, basic(b"demo:wrong"));
    assert_eq!(status(twice).await, StatusCode::UNAUTHORIZED, "two headers");
    let twice_good = s
        .http
        .get(format!("{}/version", s.url))
        .header(AUTHORIZATION, good.clone())
        .header(AUTHORIZATION, good.clone());
    assert_eq!(
        status(twice_good).await,
        StatusCode::UNAUTHORIZED,
        "two good headers"
    );
    assert_eq!(
        s.engine.user("intruder").await.unwrap(),
        None,
        "nothing was created"
    );
    // And the server still answers the good credentials.
    let ok = s
        .http
        .get(format!("{}/version", s.url))
        .header(AUTHORIZATION, good);
    assert_eq!(status(ok).await, StatusCode::OK);
    s.shutdown().await;
}

#[tokio::test]
async fn identity_changes_count_from_the_next_request() {
    let s = basic_server().await;
    let version = |auth: HeaderValue| {
        s.http
            .get(format!("{}/version", s.url))
            .header(AUTHORIZATION, auth)
    };
    // Verified once, then answered from the cache.
    assert_eq!(
        status(version(basic(b"demo:demo-pw"))).await,
        StatusCode::OK
    );
    assert_eq!(
        status(version(basic(b"demo:demo-pw"))).await,
        StatusCode::OK
    );
    s.engine.set_password("demo", "new-pw").await.unwrap();
    assert_eq!(
        status(version(basic(b"demo:demo-pw"))).await,
        StatusCode::UNAUTHORIZED,
        "the old password stops at once"
    );
    assert_eq!(status(version(basic(b"demo:new-pw"))).await, StatusCode::OK);
    assert_eq!(status(version(basic(b"demo:new-pw"))).await, StatusCode::OK);

    // A change made over REST, by the user themself, counts as well.
    let change = s
        .http
        .put(format!("{}/user/demo/credentials", s.url))
        .header(AUTHORIZATION, basic(b"demo:new-pw"))
        .json(&serde_json::json!({"password": "third-pw", "authenticatedUserPassword": "new-pw"}));
    assert_eq!(status(change).await, StatusCode::NO_CONTENT);
    assert_eq!(
        status(version(basic(b"demo:new-pw"))).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(version(basic(b"demo:third-pw"))).await,
        StatusCode::OK
    );

    s.engine.delete_user("demo").await.unwrap();
    assert_eq!(
        status(version(basic(b"demo:third-pw"))).await,
        StatusCode::UNAUTHORIZED,
        "a deleted user stops at once"
    );
    // Created again with the same password: in again.
    s.engine
        .create_user(user("demo"), Some("third-pw"))
        .await
        .unwrap();
    assert_eq!(
        status(version(basic(b"demo:third-pw"))).await,
        StatusCode::OK
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_crowd_with_the_same_credentials_is_let_in() {
    let s = basic_server().await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let request = s
            .http
            .get(format!("{}/version", s.url))
            .header(AUTHORIZATION, basic(b"demo:demo-pw"));
        set.spawn(async move { request.send().await.unwrap().status() });
    }
    while let Some(answer) = set.join_next().await {
        assert_eq!(answer.unwrap(), StatusCode::OK);
    }
    s.shutdown().await;
}

/// Every route the API serves, read from the router's source: each
/// `.route("path", get(..).post(..))` of `src/routes/*.rs`, with the bases of a
/// `for base in [..]` loop put in for `{base}`. A route written in a way this
/// cannot read fails the test, so a new endpoint cannot go unchecked.
fn endpoints() -> Vec<(Method, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        // The one `.nest(` puts the API under the base path.
        let nests = text.matches(".nest(").count();
        let base_nest = usize::from(name == "mod.rs" && text.contains(".nest(&base, api)"));
        assert_eq!(
            nests, base_nest,
            "{name}: `.nest(` is not read by this test"
        );
        for needle in ["route_service(", "nest_service("] {
            assert!(
                !text.contains(needle),
                "{name}: `{needle}` is not read by this test"
            );
        }
        let bases = base_loop(&text);
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            let args_start = &rest[at + ".route(".len()..];
            let end = closing_paren(args_start)
                .unwrap_or_else(|| panic!("{name}: a .route( that never closes"));
            let args = &args_start[..end];
            let (path, after_path) = first_string(args)
                .unwrap_or_else(|| panic!("{name}: no path literal in .route({args})"));
            let methods = methods(after_path);
            assert!(
                !methods.is_empty(),
                "{name}: cannot read the methods of .route({args})"
            );
            let paths = if path.contains("{base}") {
                assert!(
                    !bases.is_empty(),
                    "{name}: {{base}} without a `for base in [..]`"
                );
                bases.iter().map(|b| path.replace("{base}", b)).collect()
            } else {
                vec![path.to_owned()]
            };
            for p in paths {
                for m in &methods {
                    found.push((m.clone(), p.clone()));
                }
            }
            rest = &args_start[end..];
        }
    }
    found
}

/// The methods of a method router such as `get(a).post(b)`.
fn methods(text: &str) -> Vec<Method> {
    let mut out = Vec::new();
    for (name, method) in [
        ("get", Method::GET),
        ("post", Method::POST),
        ("put", Method::PUT),
        ("delete", Method::DELETE),
        ("patch", Method::PATCH),
        ("options", Method::OPTIONS),
    ] {
        let call = format!("{name}(");
        let mut from = 0;
        while let Some(at) = text[from..].find(&call) {
            let at = from + at;
            let before = text[..at].chars().next_back();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                out.push(method.clone());
            }
            from = at + call.len();
        }
    }
    out
}

/// `{id}` and every other parameter segment replaced by a plausible id.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "some-id"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_endpoint_refuses_a_request_without_credentials() {
    let endpoints = endpoints();
    assert!(
        endpoints.len() >= 80,
        "only {} endpoints were read from the routes: {endpoints:?}",
        endpoints.len()
    );
    let s = basic_server().await;
    let mut open = Vec::new();
    for (method, path) in &endpoints {
        let path = concrete(path);
        for url in [
            format!("{}{path}", s.url),
            format!("{}/engine/default{path}", s.url),
        ] {
            let request = s
                .http
                .request(method.clone(), &url)
                .header("content-type", "application/json")
                .body("{}");
            let got = status(request).await;
            if (method, path.as_str()) == (&Method::GET, "/engine") {
                assert_eq!(got, StatusCode::OK, "GET /engine is open");
            } else if got != StatusCode::UNAUTHORIZED {
                open.push(format!("{method} {url}: {got}"));
            }
        }
    }
    assert!(
        open.is_empty(),
        "answered without credentials:\n{}",
        open.join("\n")
    );
    // With credentials, the same requests reach their handlers: no route
    // answers 401 to a known user.
    for (method, path) in &endpoints {
        let request = s
            .http
            .request(method.clone(), format!("{}{}", s.url, concrete(path)))
            .header(AUTHORIZATION, basic(b"demo:demo-pw"))
            .header("content-type", "application/json")
            .body("{}");
        let got = request.send().await.unwrap().status();
        assert_ne!(got, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert!(!got.is_server_error(), "{method} {path}: {got}");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn without_auth_nothing_is_asked() {
    let s = common::server().await;
    assert_eq!(
        status(s.http.get(format!("{}/version", s.url))).await,
        StatusCode::OK
    );
    let with_junk = s
        .http
        .get(format!("{}/version", s.url))
        .header(AUTHORIZATION, "Basic !!!");
    assert_eq!(status(with_junk).await, StatusCode::OK);
    s.shutdown().await;
}

/// Key pairs made at test time, and tokens signed with them.
mod keys {
    use std::sync::OnceLock;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
    use rsa::pkcs1::{EncodeRsaPrivateKey as _, EncodeRsaPublicKey as _};
    use rsa::traits::PublicKeyParts as _;
    use serde_json::{Value, json};

    /// A private key to sign with and its public half as a JWK.
    pub(crate) struct Pair {
        pub(crate) encoding: EncodingKey,
        pub(crate) alg: Algorithm,
        pub(crate) jwk: Value,
        /// The public key's DER, for the HS256-with-the-public-key forgery.
        pub(crate) public_der: Vec<u8>,
    }

    fn rsa_pair(kid: &str) -> Pair {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        let public = private.to_public_key();
        Pair {
            encoding: EncodingKey::from_rsa_der(private.to_pkcs1_der().unwrap().as_bytes()),
            alg: Algorithm::RS256,
            jwk: json!({
                "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            }),
            public_der: public.to_pkcs1_der().unwrap().as_bytes().to_vec(),
        }
    }

    fn ec_pair(kid: &str) -> Pair {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let point = pair.public_key().as_ref().to_vec();
        Pair {
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            alg: Algorithm::ES256,
            jwk: json!({
                "kty": "EC", "kid": kid, "crv": "P-256", "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            }),
            public_der: point,
        }
    }

    /// The RSA pair `rsa`, the EC pair `ec`, and another RSA pair `other`
    /// that no JWKS holds; made once per test run.
    pub(crate) fn pairs() -> &'static (Pair, Pair, Pair) {
        static PAIRS: OnceLock<(Pair, Pair, Pair)> = OnceLock::new();
        PAIRS.get_or_init(|| (rsa_pair("rsa"), ec_pair("ec"), rsa_pair("other")))
    }

    pub(crate) const ISSUER: &str = "http://idp.test/realms/baton";
    pub(crate) const AUDIENCE: &str = "baton";

    pub(crate) fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .try_into()
            .unwrap()
    }

    /// Good claims for user `alice` in group `clerks`.
    pub(crate) fn claims() -> Value {
        json!({
            "sub": "alice", "iss": ISSUER, "aud": AUDIENCE, "groups": ["clerks"],
            "iat": now(), "exp": now() + 600,
        })
    }

    /// `claims` signed with `pair`, its header naming `kid`.
    pub(crate) fn sign(pair: &Pair, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(pair.alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &pair.encoding).unwrap()
    }

    /// A token with any header and claims and the given signature bytes.
    pub(crate) fn raw(header: &Value, claims: &Value, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// `header.claims` signed with HMAC-SHA-256 under `secret`.
    pub(crate) fn hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
        let unsigned = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
        let tag = ring::hmac::sign(&key, unsigned.as_bytes());
        format!("{unsigned}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    pub(crate) fn jwks(pairs: &[&Pair]) -> Value {
        json!({"keys": pairs.iter().map(|p| p.jwk.clone()).collect::<Vec<_>>()})
    }
}

/// A server with `--auth oidc` over `config`.
async fn oidc_server(config: baton_server::OidcConfig) -> Server {
    let oidc = baton_server::Oidc::load(config).await.unwrap();
    server_with(Options {
        auth: Auth::Oidc(oidc),
        ..Options::default()
    })
    .await
}

/// The status of `GET /version` with `Authorization: {authorization}`, after
/// checking that a 401 is empty and challenges for a bearer token.
async fn bearer_status(s: &Server, authorization: &str) -> StatusCode {
    let response = s
        .http
        .get(format!("{}/version", s.url))
        .header(AUTHORIZATION, authorization)
        .send()
        .await
        .unwrap();
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = response.headers().get(WWW_AUTHENTICATE).cloned();
        assert_eq!(challenge.unwrap(), "Bearer");
        assert!(response.bytes().await.unwrap().is_empty());
    }
    status
}

#[tokio::test]
async fn oidc_tokens_signed_by_the_provider_let_requests_through() {
    use keys::*;
    let (rsa, ec, _) = pairs();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks(&[rsa, ec]).to_string()).unwrap();
    let s = oidc_server(baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        file.to_str().unwrap(),
    ))
    .await;
    let good = |pair, kid| format!("Bearer {}", sign(pair, Some(kid), &claims()));
    assert_eq!(bearer_status(&s, &good(rsa, "rsa")).await, StatusCode::OK);
    assert_eq!(bearer_status(&s, &good(ec, "ec")).await, StatusCode::OK);
    // The scheme's name is read without regard to case; `aud` may be a list.
    let lower = good(rsa, "rsa").replace("Bearer", "bearer");
    assert_eq!(bearer_status(&s, &lower).await, StatusCode::OK);
    let mut many = claims();
    many["aud"] = serde_json::json!(["account", AUDIENCE]);
    let token = sign(rsa, Some("rsa"), &many);
    assert_eq!(
        bearer_status(&s, &format!("Bearer {token}")).await,
        StatusCode::OK
    );
    // The user need not exist in Baton's identity store, nor have groups.
    let mut bare = claims();
    bare.as_object_mut().unwrap().remove("groups");
    bare["sub"] = "someone-else".into();
    let token = sign(ec, Some("ec"), &bare);
    assert_eq!(
        bearer_status(&s, &format!("Bearer {token}")).await,
        StatusCode::OK
    );
    // GET /engine stays open.
    let engines = s
        .http
        .get(format!("{}/engine", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(engines.status(), StatusCode::OK);
    s.shutdown().await;
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_a_bare_401() {
    use keys::*;
    use serde_json::json;
    let (rsa, ec, other) = pairs();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks(&[rsa, ec]).to_string()).unwrap();
    let s = oidc_server(baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        file.to_str().unwrap(),
    ))
    .await;
    let with = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut c = claims();
        change(&mut c);
        c
    };
    let good = sign(rsa, Some("rsa"), &claims());
    let (head, rest) = good.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let tampered_claims = with(&|c| c["sub"] = "mallory".into());
    let tampered = format!(
        "{head}.{}.{signature}",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            tampered_claims.to_string()
        )
    );
    let rsa_jwk = rsa.jwk.to_string();
    let mut forged: Vec<(&str, String)> = vec![
        (
            "alg none",
            raw(
                &json!({"alg": "none", "typ": "JWT", "kid": "rsa"}),
                &claims(),
                b"",
            ),
        ),
        (
            "alg None",
            raw(&json!({"alg": "None", "kid": "rsa"}), &claims(), b""),
        ),
        ("no alg", raw(&json!({"kid": "rsa"}), &claims(), b"x")),
        (
            "HS256 with the public key's DER as the secret",
            hs256(
                &json!({"alg": "HS256", "typ": "JWT", "kid": "rsa"}),
                &claims(),
                &rsa.public_der,
            ),
        ),
        (
            "HS256 with the public JWK as the secret",
            hs256(
                &json!({"alg": "HS256", "kid": "rsa"}),
                &claims(),
                rsa_jwk.as_bytes(),
            ),
        ),
        (
            "HS256 with the EC point as the secret",
            hs256(
                &json!({"alg": "HS256", "kid": "ec"}),
                &claims(),
                &ec.public_der,
            ),
        ),
        (
            "signed by another key under the right kid",
            sign(other, Some("rsa"), &claims()),
        ),
        (
            "signed by another key under its own kid",
            sign(other, Some("other"), &claims()),
        ),
        (
            "signed by the EC key under the RSA kid",
            sign(ec, Some("rsa"), &claims()),
        ),
        (
            "signed by the RSA key under the EC kid",
            sign(rsa, Some("ec"), &claims()),
        ),
        ("a claim changed after signing", tampered),
        (
            "no signature",
            format!("{head}.{}", rest.split_once('.').unwrap().0),
        ),
        (
            "an empty signature",
            format!("{head}.{}.", rest.split_once('.').unwrap().0),
        ),
        (
            "expired",
            sign(
                rsa,
                Some("rsa"),
                &with(&|c| c["exp"] = (now() - 3600).into()),
            ),
        ),
        (
            "not yet valid",
            sign(
                rsa,
                Some("rsa"),
                &with(&|c| c["nbf"] = (now() + 3600).into()),
            ),
        ),
        (
            "no expiry",
            sign(
                rsa,
                Some("rsa"),
                &with(&|c| {
                    c.as_object_mut().unwrap().remove("exp");
                }),
            ),
        ),
        (
            "an expiry that is text",
            sign(rsa, Some("rsa"), &with(&|c| c["exp"] = "tomorrow".into())),
        ),
        (
            "another issuer",
            sign(
                rsa,
                Some("rsa"),
                &with(&|c| c["iss"] = "http://evil.test".into()),
            ),
        ),
        (
            "no issuer",
            sign(
                rsa,
                Some("rsa"),
                &with(&|c| {
                    c.as_object_mut().unwrap().remove("iss");
                }),
            ),
        ),
        (
            "another audience",
            sign(rsa, Some("rsa"), &with(&|c| c["aud"] = "other-app".into())),
        ),
        (
            "other audiences",
            sign(rsa, Some("rsa"), &with(&|c| c["aud"] = json!(["a", "b"]))),
        ),
        (
            "no audience",
            sign(
                rsa,
                Some("rsa"),
                &with(&|c| {
                    c.as_object_mut().unwrap().remove("aud");
                }),
            ),
        ),
        (
            "no user",
            sign(
                rsa,
                Some("rsa"),
                &with(&|c| {
                    c.as_object_mut().unwrap().remove("sub");
                }),
            ),
        ),
        (
            "an empty user",
            sign(rsa, Some("rsa"), &with(&|c| c["sub"] = "".into())),
        ),
        (
            "a user that is a number",
            sign(rsa, Some("rsa"), &with(&|c| c["sub"] = 42.into())),
        ),
        ("an unknown kid", sign(rsa, Some("nope"), &claims())),
        (
            "claims that are not an object",
            raw(&json!({"alg": "RS256", "kid": "rsa"}), &json!([1]), b"x"),
        ),
        ("not a token", "abc".to_owned()),
        ("dots", "..".to_owned()),
        (
            "a header that is not JSON",
            "bm90IGpzb24.e30.AAAA".to_owned(),
        ),
        ("a header that is not base64", "!!!.e30.AAAA".to_owned()),
    ];
    // RS512 with the RSA key, which Baton does not accept.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS512);
    header.kid = Some("rsa".into());
    forged.push((
        "RS512",
        jsonwebtoken::encode(&header, &claims(), &rsa.encoding).unwrap(),
    ));
    for (what, token) in &forged {
        assert_eq!(
            bearer_status(&s, &format!("Bearer {token}")).await,
            StatusCode::UNAUTHORIZED,
            "{what}"
        );
    }
    for header in [
        String::new(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Basic {good}"),
        good.clone(),
        format!("Bearer {good} {good}"),
        format!("Bearer {}", "a".repeat(20_000)),
    ] {
        let shown: String = header.chars().take(40).collect();
        assert_eq!(
            bearer_status(&s, &header).await,
            StatusCode::UNAUTHORIZED,
            "{shown}"
        );
    }
    // The good token still passes: nothing above changed anything.
    assert_eq!(
        bearer_status(&s, &format!("Bearer {good}")).await,
        StatusCode::OK
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_jwks_url_is_read_again_for_an_unknown_key_at_most_once_per_interval() {
    use keys::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let (rsa, ec, other) = pairs();
    // A provider on loopback whose document the test changes.
    let document = Arc::new(Mutex::new(jwks(&[ec])));
    let reads = Arc::new(AtomicUsize::new(0));
    let app = {
        let (document, reads) = (document.clone(), reads.clone());
        axum::Router::new().route(
            "/certs",
            axum::routing::get(move || {
                let body = document.lock().unwrap().clone();
                reads.fetch_add(1, Ordering::SeqCst);
                async move { axum::Json(body) }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let provider = listener.local_addr().unwrap();
    let provider_task = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut config =
        baton_server::OidcConfig::new(ISSUER, AUDIENCE, format!("http://{provider}/certs"));
    config.refresh_interval = std::time::Duration::from_secs(3600);
    let s = oidc_server(config).await;
    assert_eq!(reads.load(Ordering::SeqCst), 1, "read at start");
    let bearer = |pair, kid| format!("Bearer {}", sign(pair, Some(kid), &claims()));
    assert_eq!(bearer_status(&s, &bearer(ec, "ec")).await, StatusCode::OK);
    assert_eq!(
        reads.load(Ordering::SeqCst),
        1,
        "known keys need no reading"
    );

    // The provider rotates in a new key: the first token naming it has the
    // document read again.
    *document.lock().unwrap() = jwks(&[ec, rsa]);
    assert_eq!(bearer_status(&s, &bearer(rsa, "rsa")).await, StatusCode::OK);
    assert_eq!(reads.load(Ordering::SeqCst), 2);
    assert_eq!(bearer_status(&s, &bearer(rsa, "rsa")).await, StatusCode::OK);
    assert_eq!(reads.load(Ordering::SeqCst), 2);

    // Within the interval, unknown key ids do not make Baton read it again,
    // however many come.
    *document.lock().unwrap() = jwks(&[ec, rsa, other]);
    for _ in 0..5 {
        assert_eq!(
            bearer_status(&s, &bearer(other, "other")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(reads.load(Ordering::SeqCst), 2);
    s.shutdown().await;
    provider_task.abort();
}

/// Certificate authorities made at test time, and JWKS providers on loopback
/// that serve over https with a certificate one of them signed.
mod tls {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use serde_json::Value;

    /// A certificate authority: its certificate, and its key to sign others.
    pub(crate) struct Authority {
        /// The CA's certificate, in PEM.
        pub(crate) pem: String,
        issuer: Issuer<'static, KeyPair>,
    }

    impl Authority {
        /// A new self-signed CA named `name`.
        pub(crate) fn new(name: &str) -> Authority {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let key = KeyPair::generate().unwrap();
            let pem = params.self_signed(&key).unwrap().pem();
            Authority {
                pem,
                issuer: Issuer::new(params, key),
            }
        }

        /// A TLS server's settings, with a certificate for `names` (host
        /// names or IP addresses) that this CA signed.
        pub(crate) fn server(&self, names: &[&str]) -> Arc<rustls::ServerConfig> {
            let key = KeyPair::generate().unwrap();
            let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
            let cert = CertificateParams::new(names)
                .unwrap()
                .signed_by(&key, &self.issuer)
                .unwrap();
            // The same provider as Baton's client (see `connector` in oidc.rs).
            #[allow(deprecated)]
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![cert.der().clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
                )
                .unwrap();
            Arc::new(config)
        }
    }

    /// A JWKS provider over https on loopback: `GET /certs` answers the
    /// document, which the test may change, and counts the reads.
    pub(crate) struct Provider {
        pub(crate) port: u16,
        pub(crate) document: Arc<Mutex<Value>>,
        pub(crate) reads: Arc<AtomicUsize>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Provider {
        /// How many times the document was read.
        pub(crate) fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
    }

    impl Drop for Provider {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    /// A provider serving `document` over TLS with `config`.
    pub(crate) async fn provider(config: Arc<rustls::ServerConfig>, document: Value) -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let document = Arc::new(Mutex::new(document));
        let reads = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (document.clone(), reads.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, served, counted) =
                    (acceptor.clone(), served.clone(), counted.clone());
                tokio::spawn(async move {
                    // A client that does not trust the certificate ends here.
                    let Ok(stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(
                        move |request: hyper::Request<hyper::body::Incoming>| {
                            let response = if request.uri().path() == "/certs" {
                                counted.fetch_add(1, Ordering::SeqCst);
                                let body = served.lock().unwrap().to_string();
                                hyper::Response::builder()
                                    .header("content-type", "application/json")
                                    .body(axum::body::Body::from(body))
                            } else {
                                hyper::Response::builder()
                                    .status(404)
                                    .body(axum::body::Body::empty())
                            };
                            async move { response }
                        },
                    );
                    let io = hyper_util::rt::TokioIo::new(stream);
                    // The client hangs up once it has the document.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Provider {
            port,
            document,
            reads,
            task,
        }
    }
}

#[tokio::test]
async fn an_https_jwks_url_is_read_and_read_again_for_an_unknown_key() {
    use keys::*;
    let (rsa, ec, other) = pairs();
    let authority = tls::Authority::new("Baton test CA");
    let provider = tls::provider(authority.server(&["localhost", "127.0.0.1"]), jwks(&[ec])).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &authority.pem).unwrap();

    // By host name: the certificate is checked against it.
    let mut config = baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        format!("https://localhost:{}/certs", provider.port),
    );
    config.ca_file = Some(ca.clone());
    baton_server::Oidc::load(config).await.unwrap();
    assert_eq!(provider.reads(), 1);

    // By IP address, as the server's keys.
    let mut config = baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        format!("https://127.0.0.1:{}/certs", provider.port),
    );
    config.ca_file = Some(ca);
    config.refresh_interval = std::time::Duration::from_secs(3600);
    let s = oidc_server(config).await;
    assert_eq!(provider.reads(), 2, "read at start");
    let bearer = |pair, kid| format!("Bearer {}", sign(pair, Some(kid), &claims()));
    assert_eq!(bearer_status(&s, &bearer(ec, "ec")).await, StatusCode::OK);
    assert_eq!(provider.reads(), 2, "known keys need no reading");

    // The provider rotates in a new key: the first token naming it has the
    // document read again, over https as over http.
    *provider.document.lock().unwrap() = jwks(&[ec, rsa]);
    assert_eq!(bearer_status(&s, &bearer(rsa, "rsa")).await, StatusCode::OK);
    assert_eq!(provider.reads(), 3);
    assert_eq!(bearer_status(&s, &bearer(rsa, "rsa")).await, StatusCode::OK);
    assert_eq!(provider.reads(), 3);

    // Within the interval, unknown key ids do not make Baton read it again.
    *provider.document.lock().unwrap() = jwks(&[ec, rsa, other]);
    for _ in 0..5 {
        assert_eq!(
            bearer_status(&s, &bearer(other, "other")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(provider.reads(), 3);
    s.shutdown().await;
}

#[tokio::test]
async fn an_https_jwks_url_with_an_untrusted_certificate_is_refused_at_start() {
    use keys::*;
    let ec = &pairs().1;
    let authority = tls::Authority::new("Baton test CA");
    let stranger = tls::Authority::new("Another CA");
    let provider = tls::provider(authority.server(&["localhost", "127.0.0.1"]), jwks(&[ec])).await;
    let misnamed = tls::provider(authority.server(&["idp.test"]), jwks(&[ec])).await;
    let dir = tempfile::tempdir().unwrap();
    let pem = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let ours = pem("ours.pem", &authority.pem);
    let theirs = pem("theirs.pem", &stranger.pem);
    let refused = async |jwks: &str, ca_file: Option<&std::path::Path>| {
        let mut config = baton_server::OidcConfig::new(ISSUER, AUDIENCE, jwks);
        config.ca_file = ca_file.map(std::path::Path::to_path_buf);
        baton_server::Oidc::load(config)
            .await
            .unwrap_err()
            .to_string()
    };
    let url = format!("https://127.0.0.1:{}/certs", provider.port);

    // With the system's roots alone, which do not hold the test's CA (or, on
    // a machine without any, that is what is said).
    let e = refused(&url, None).await;
    assert!(
        e.contains(&format!("cannot read the JWKS at {url}")) && e.contains("not trusted")
            || e.contains("no root certificates were found"),
        "{e}"
    );
    // With another CA's certificate.
    let e = refused(&url, Some(&theirs)).await;
    assert!(
        e.contains(&format!("cannot read the JWKS at {url}"))
            && e.contains("not trusted")
            && e.contains("--oidc-ca"),
        "{e}"
    );
    // The right CA, but a certificate for another host name.
    let other_url = format!("https://127.0.0.1:{}/certs", misnamed.port);
    let e = refused(&other_url, Some(&ours)).await;
    assert!(
        e.contains(&format!("cannot read the JWKS at {other_url}")) && e.contains("not valid"),
        "{e}"
    );
    assert_eq!(
        (provider.reads(), misnamed.reads()),
        (0, 0),
        "nothing is asked of a server not trusted"
    );

    // CA files that cannot be used.
    let https = format!("https://127.0.0.1:{}/certs", provider.port);
    let missing = dir.path().join("missing.pem");
    let e = refused(&https, Some(&missing)).await;
    assert!(
        e.contains(&format!(
            "cannot read the OIDC CA file {}",
            missing.display()
        )),
        "{e}"
    );
    let e = refused(&https, Some(&pem("empty.pem", "not a certificate\n"))).await;
    assert!(e.contains("holds no PEM certificate"), "{e}");
    let good = pem("good.json", &jwks(&[ec]).to_string());
    let e = refused(good.to_str().unwrap(), Some(&ours)).await;
    assert!(e.contains("is for an https:// JWKS URL only"), "{e}");
    let e = refused("http://127.0.0.1:9/certs", Some(&ours)).await;
    assert!(e.contains("is for an https:// JWKS URL only"), "{e}");
    assert_eq!(provider.reads(), 0);

    // The right CA makes the same URL work.
    let mut config = baton_server::OidcConfig::new(ISSUER, AUDIENCE, &url);
    config.ca_file = Some(ours);
    baton_server::Oidc::load(config).await.unwrap();
    assert_eq!(provider.reads(), 1);
}

#[tokio::test]
async fn oidc_settings_that_cannot_work_are_refused_at_start() {
    use keys::*;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(path("empty.json"), r#"{"keys": []}"#).unwrap();
    std::fs::write(path("text.json"), "not json").unwrap();
    std::fs::write(
        path("hmac.json"),
        r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#,
    )
    .unwrap();
    std::fs::write(path("good.json"), jwks(&[&pairs().1]).to_string()).unwrap();
    let refused = async |config: baton_server::OidcConfig| {
        baton_server::Oidc::load(config)
            .await
            .unwrap_err()
            .to_string()
    };
    let e = refused(baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        path("missing.json"),
    ))
    .await;
    assert!(
        e.contains("cannot read the JWKS file") && e.contains("missing.json"),
        "{e}"
    );
    let e = refused(baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        path("empty.json"),
    ))
    .await;
    assert!(e.contains("has no RS256 or ES256 signing key"), "{e}");
    let e = refused(baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        path("hmac.json"),
    ))
    .await;
    assert!(e.contains("has no RS256 or ES256 signing key"), "{e}");
    let e = refused(baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        path("text.json"),
    ))
    .await;
    assert!(e.contains("is not JSON"), "{e}");
    let e = refused(baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        "ftp://idp.test/certs",
    ))
    .await;
    assert!(
        e.contains("give a file path or an http:// or https:// URL"),
        "{e}"
    );
    let e = refused(baton_server::OidcConfig::new(
        "",
        AUDIENCE,
        path("good.json"),
    ))
    .await;
    assert!(e.contains("issuer must not be empty"), "{e}");
    let e = refused(baton_server::OidcConfig::new(
        ISSUER,
        " ",
        path("good.json"),
    ))
    .await;
    assert!(e.contains("audience must not be empty"), "{e}");
    // A URL where nothing listens, or that answers 404.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = refused(baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        format!("http://{addr}/certs"),
    ))
    .await;
    assert!(e.contains("cannot read the JWKS at"), "{e}");
    let s = common::server().await;
    let e = refused(baton_server::OidcConfig::new(
        ISSUER,
        AUDIENCE,
        format!("{}/nothing-here", s.url),
    ))
    .await;
    assert!(e.contains("404"), "{e}");
    s.shutdown().await;
    assert!(
        baton_server::Oidc::load(baton_server::OidcConfig::new(
            ISSUER,
            AUDIENCE,
            path("good.json")
        ))
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn the_open_path_follows_the_base_path() {
    for base in ["", "/api/camunda"] {
        let s = server_with(Options {
            base_path: base.into(),
            auth: Auth::Basic,
            ..Options::default()
        })
        .await;
        let root = format!("http://{}", s.addr);
        let get = |path: String| s.http.get(path);
        assert_eq!(
            status(get(format!("{root}{base}/engine"))).await,
            StatusCode::OK,
            "{base}"
        );
        // With an empty base path, `/` is the console's redirect to its page,
        // which anyone may load (it logs in through the API).
        let paths: &[&str] = if base.is_empty() {
            &["/version", "/engine/default/version", "/engine-rest/engine"]
        } else {
            &[
                "/version",
                "/engine/default/version",
                "/engine-rest/engine",
                "/",
            ]
        };
        for path in paths {
            assert_eq!(
                status(get(format!("{root}{base}{path}"))).await,
                StatusCode::UNAUTHORIZED,
                "{base}{path}"
            );
        }
        s.shutdown().await;
    }
}

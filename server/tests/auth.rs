//! Authentication over real HTTP: with `--auth basic`, every path under the base
//! path but `GET /engine` asks for credentials; every way of getting them wrong
//! answers the same empty 401 and changes nothing; and a change to a password,
//! a user or a membership counts from the next request.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use baton_engine::User;
use baton_server::{Auth, Options};
use common::{Server, server_with};
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
    let huge_good = format!("Basic{}{good_token}", " ".repeat(9_000));
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

/// The string literals of the file's `for base in [..]` array.
fn base_loop(text: &str) -> Vec<String> {
    let Some(at) = text.find("for base in [") else {
        return Vec::new();
    };
    let list = &text[at + "for base in [".len()..];
    let list = &list[..list.find(']').unwrap()];
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Where the parenthesis opened just before `text` closes.
fn closing_paren(text: &str) -> Option<usize> {
    let mut depth = 1;
    let mut in_string = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The first string literal of `text`, and what follows it.
fn first_string(text: &str) -> Option<(&str, &str)> {
    let open = text.find('"')?;
    let close = open + 1 + text[open + 1..].find('"')?;
    Some((&text[open + 1..close], &text[close + 1..]))
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

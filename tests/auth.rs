//! `baton serve --auth …` as a user runs it: the real binary, its flags and
//! `BATON_*` variables, the admin user it creates at start, and the clear
//! errors for values it cannot use.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};
use tokio::process::{Child, Command};

/// A running `baton serve` and the URL it printed.
struct Served {
    child: Child,
    url: String,
}

fn baton(args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command
        .arg("serve")
        .args(["--port", "0"])
        .args(args)
        .env_remove("BATON_PORT")
        .env_remove("BATON_AUTH")
        .env_remove("BATON_ADMIN_USER")
        .env_remove("BATON_OIDC_ISSUER")
        .env_remove("BATON_OIDC_AUDIENCE")
        .env_remove("BATON_OIDC_JWKS")
        .env_remove("BATON_OIDC_USER_CLAIM")
        .env_remove("BATON_OIDC_GROUPS_CLAIM")
        .env_remove("BATON_OIDC_CA")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Starts `baton serve` with `args` and `envs` and waits for its address line.
async fn serve(args: &[&str], envs: &[(&str, &str)]) -> Served {
    let mut child = baton(args, envs).spawn().expect("baton serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("baton serve prints its address within 20 s")
        .expect("stdout is readable")
        .expect("an address line");
    let url = line
        .strip_prefix("Baton listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    Served { child, url }
}

/// Runs `baton serve` with arguments it must refuse, and returns its exit code
/// and what it wrote to stderr.
async fn refused(args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = baton(args, envs).spawn().expect("baton serve starts");
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("baton exits within 20 s")
        .expect("an exit status");
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut err).await.expect("stderr");
    }
    (status.code(), err)
}

impl Served {
    /// `GET path` with `user:password` (if any): the status and the JSON body.
    async fn get(&self, path: &str, credentials: Option<(&str, &str)>) -> (StatusCode, Value) {
        let mut request = reqwest::Client::new().get(format!("{}{path}", self.url));
        if let Some((user, password)) = credentials {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.expect("GET");
        let status = response.status();
        let body = response.bytes().await.expect("a body");
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).expect("JSON")
        };
        (status, json)
    }

    async fn stop(mut self) {
        self.child.start_kill().expect("kill");
        self.child.wait().await.expect("exit");
    }
}

#[tokio::test]
async fn the_admin_user_is_created_at_start_and_kept_on_restart() {
    let dir = tempfile::tempdir().expect("a folder");
    let db = dir.path().join("baton.db");
    let db = db.to_str().expect("a UTF-8 path");
    let admin = Some(("admin", "s3cr:et"));
    let served = serve(
        &[
            "--db",
            db,
            "--auth",
            "basic",
            "--admin-user",
            "admin:s3cr:et",
        ],
        &[],
    )
    .await;
    let (status, engines) = served.get("/engine", None).await;
    assert_eq!(status, StatusCode::OK, "GET /engine stays open");
    assert_eq!(engines[0]["name"], "default");
    assert_eq!(
        served.get("/version", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        served.get("/version", Some(("admin", "s3cr"))).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(served.get("/version", admin).await.0, StatusCode::OK);
    let (status, group) = served.get("/group/camunda-admin", admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        group,
        serde_json::json!({"id": "camunda-admin", "name": "camunda BPM Administrators", "type": "SYSTEM"})
    );
    let (_, members) = served.get("/user?memberOfGroup=camunda-admin", admin).await;
    let ids: Vec<&str> = members
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| u["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(ids, ["admin"]);
    served.stop().await;

    // Restarted with another password, through the environment: the user exists,
    // so it keeps the password it has.
    let served = serve(
        &["--db", db],
        &[("BATON_AUTH", "basic"), ("BATON_ADMIN_USER", "admin:other")],
    )
    .await;
    assert_eq!(served.get("/version", admin).await.0, StatusCode::OK);
    assert_eq!(
        served.get("/version", Some(("admin", "other"))).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, count) = served.get("/group/count", admin).await;
    assert_eq!(count["count"], 1, "no second group");
    served.stop().await;

    // A second admin on the same database joins the existing group.
    let served = serve(
        &["--db", db, "--auth", "basic", "--admin-user", "ops:ops-pw"],
        &[],
    )
    .await;
    let (_, members) = served
        .get(
            "/user/count?memberOfGroup=camunda-admin",
            Some(("ops", "ops-pw")),
        )
        .await;
    assert_eq!(members["count"], 2);
    served.stop().await;

    // Without --auth, nobody is asked for anything.
    let served = serve(&["--db", db], &[]).await;
    assert_eq!(served.get("/version", None).await.0, StatusCode::OK);
    served.stop().await;
}

#[tokio::test]
async fn bad_auth_values_are_clear_startup_errors() {
    let dir = tempfile::tempdir().expect("a folder");
    let db = dir.path().join("baton.db");
    let db = db.to_str().expect("a UTF-8 path");
    for (value, says) in [
        ("admin-no-colon-secret", "has no colon"),
        (":secret-pw", "the name is empty"),
        ("admin:", "the password is empty"),
    ] {
        let (code, err) =
            refused(&["--db", db, "--auth", "basic", "--admin-user", value], &[]).await;
        assert_eq!(code, Some(1), "{value}: {err}");
        assert!(
            err.contains("--admin-user takes NAME:PASSWORD"),
            "{value}: {err}"
        );
        assert!(err.contains(says), "{value}: {err}");
        assert!(!err.contains("secret"), "the value is not echoed: {err}");
        let (code, err) = refused(&["--db", db], &[("BATON_ADMIN_USER", value)]).await;
        assert_eq!(code, Some(1), "{value} from the environment: {err}");
        assert!(err.contains(says), "{value}: {err}");
    }
    let (code, err) = refused(&["--db", db, "--auth", "kerberos"], &[]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("kerberos") && err.contains("basic"), "{err}");
    let (code, err) = refused(&["--db", db], &[("BATON_AUTH", "BASIC ")]).await;
    assert_eq!(code, Some(2), "{err}");
}

/// Base64url without padding, as JSON Web Tokens use it.
fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[tokio::test]
async fn oidc_flags_and_variables_set_up_bearer_tokens() {
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("a key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("a key pair");
    let point = pair.public_key().as_ref();
    let dir = tempfile::tempdir().expect("a folder");
    let jwks = dir.path().join("jwks.json");
    let document = serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "k1",
        "x": b64url(&point[1..33]), "y": b64url(&point[33..65]),
    }]});
    std::fs::write(&jwks, document.to_string()).expect("the JWKS file");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let token = |claims: serde_json::Value| {
        let head = b64url(br#"{"alg":"ES256","typ":"JWT","kid":"k1"}"#);
        let unsigned = format!("{head}.{}", b64url(claims.to_string().as_bytes()));
        let signature = pair.sign(&rng, unsigned.as_bytes()).expect("a signature");
        format!("{unsigned}.{}", b64url(signature.as_ref()))
    };
    let good = token(serde_json::json!({
        "preferred_username": "alice", "iss": "http://idp.test", "aud": "baton",
        "exp": now + 600, "roles": ["clerks"],
    }));
    let db = dir.path().join("baton.db");
    let db = db.to_str().expect("a UTF-8 path");
    let jwks = jwks.to_str().expect("a UTF-8 path");
    let get = async |served: &Served, authorization: Option<&str>| {
        let mut request = reqwest::Client::new().get(format!("{}/version", served.url));
        if let Some(a) = authorization {
            request = request.header("authorization", a);
        }
        let response = request.send().await.expect("GET");
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|h| h.to_str().expect("text").to_owned());
        (response.status(), challenge)
    };
    let served = serve(
        &[
            "--db",
            db,
            "--auth",
            "oidc",
            "--oidc-issuer",
            "http://idp.test",
            "--oidc-audience",
            "baton",
            "--oidc-jwks",
            jwks,
            "--oidc-user-claim",
            "preferred_username",
            "--oidc-groups-claim",
            "roles",
        ],
        &[],
    )
    .await;
    let bearer = format!("Bearer {good}");
    assert_eq!(get(&served, Some(&bearer)).await.0, StatusCode::OK);
    assert_eq!(
        get(&served, None).await,
        (StatusCode::UNAUTHORIZED, Some("Bearer".to_owned()))
    );
    served.stop().await;

    // The same through the environment, with the default user claim `sub`,
    // which this token lacks.
    let envs = [
        ("BATON_AUTH", "oidc"),
        ("BATON_OIDC_ISSUER", "http://idp.test"),
        ("BATON_OIDC_AUDIENCE", "baton"),
        ("BATON_OIDC_JWKS", jwks),
    ];
    let served = serve(&["--db", db], &envs).await;
    assert_eq!(
        get(&served, Some(&bearer)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let with_sub = token(serde_json::json!({
        "sub": "alice", "iss": "http://idp.test", "aud": "baton", "exp": now + 600,
    }));
    assert_eq!(
        get(&served, Some(&format!("Bearer {with_sub}"))).await.0,
        StatusCode::OK
    );
    served.stop().await;

    // Each setting it cannot do without is named.
    for (missing, says) in [
        ("BATON_OIDC_ISSUER", "--oidc-issuer"),
        ("BATON_OIDC_AUDIENCE", "--oidc-audience"),
        ("BATON_OIDC_JWKS", "--oidc-jwks"),
    ] {
        let some: Vec<_> = envs
            .iter()
            .copied()
            .filter(|(k, _)| *k != missing)
            .collect();
        let (code, err) = refused(&["--db", db], &some).await;
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains(&format!("--auth oidc needs {says}")), "{err}");
    }
    let (code, err) = refused(&["--db", db, "--oidc-jwks", "/no/such/jwks.json"], &envs).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cannot read the JWKS file /no/such/jwks.json"),
        "{err}"
    );
}

#[tokio::test]
async fn the_oidc_ca_flag_and_variable_reach_the_https_client() {
    let dir = tempfile::tempdir().expect("a folder");
    let db = dir.path().join("baton.db");
    let db = db.to_str().expect("a UTF-8 path");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("an empty folder");
    let nothing = dir.path().join("nothing.pem");
    std::fs::write(&nothing, "").expect("an empty file");
    // Port 9 of loopback: never asked, every case fails before connecting.
    let envs = [
        ("BATON_AUTH", "oidc"),
        ("BATON_OIDC_ISSUER", "http://idp.test"),
        ("BATON_OIDC_AUDIENCE", "baton"),
        ("BATON_OIDC_JWKS", "https://127.0.0.1:9/certs"),
    ];
    let (code, err) = refused(&["--db", db, "--oidc-ca", "/no/such/ca.pem"], &envs).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cannot read the OIDC CA file /no/such/ca.pem"),
        "{err}"
    );
    let with_ca: Vec<_> = envs
        .iter()
        .copied()
        .chain([("BATON_OIDC_CA", "/no/such/ca.pem")])
        .collect();
    let (code, err) = refused(&["--db", db], &with_ca).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cannot read the OIDC CA file /no/such/ca.pem"),
        "{err}"
    );
    // No root certificates at all (SSL_CERT_FILE and SSL_CERT_DIR say where
    // the system's are) and no CA file: https cannot work.
    let nothing = nothing.to_str().expect("a UTF-8 path");
    let empty = empty.to_str().expect("a UTF-8 path");
    let no_roots: Vec<_> = envs
        .iter()
        .copied()
        .chain([("SSL_CERT_FILE", nothing), ("SSL_CERT_DIR", empty)])
        .collect();
    let (code, err) = refused(&["--db", db], &no_roots).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("no root certificates were found"), "{err}");
    assert!(err.contains("--oidc-ca"), "{err}");
}

//! The web console: static files under `/app`, built into the binary.
//!
//! The console is a page and a script that call the REST API like any other
//! client, with the user's own credentials when authentication is on (it asks
//! for them, and keeps them in the browser tab's session storage): it has no
//! way into the engine but the API, so it can do exactly what its user may.
//! Its files are served to anyone, since the login form is one of them; they
//! hold no data. `/` redirects to `/app`.
//!
//! Every file is compiled in with `include_bytes!` from `console/` (our own
//! files) and `console/vendor/` (bpmn-js and form-js as
//! `scripts/vendor-console.sh` vendors them), so `cargo build` needs no Node.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::AppState;

/// A file of the console: its path under `/app/`, its content type, its bytes.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// Every file the console serves.
const ASSETS: &[Asset] = &[
    Asset {
        path: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../console/app.js"),
    },
    Asset {
        path: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../console/app.css"),
    },
    Asset {
        path: "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!(
            "../../console/vendor/bpmn-js-18.31.1/bpmn-navigated-viewer.production.min.js"
        ),
    },
    Asset {
        path: "vendor/bpmn-js/bpmn-js.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../console/vendor/bpmn-js-18.31.1/bpmn-js.css"),
    },
    Asset {
        path: "vendor/bpmn-js/diagram-js.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../console/vendor/bpmn-js-18.31.1/diagram-js.css"),
    },
    Asset {
        path: "vendor/bpmn-js/LICENSE",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../../console/vendor/bpmn-js-18.31.1/LICENSE"),
    },
    Asset {
        path: "vendor/form-js/form-viewer.umd.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../console/vendor/form-js-1.23.0/form-viewer.umd.js"),
    },
    Asset {
        path: "vendor/form-js/form-js.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../console/vendor/form-js-1.23.0/form-js.css"),
    },
    Asset {
        path: "vendor/form-js/LICENSE",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../../console/vendor/form-js-1.23.0/LICENSE"),
    },
];

/// The page, with `{{BASE}}` standing for the API's base path.
const INDEX: &str = include_str!("../../console/index.html");

/// The console's routes: `/` (a redirect), `/app` (the page) and `/app/{file}`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/app") }))
        .route("/app", get(index))
        .route("/app/{*file}", get(file))
}

/// The page, told where the API lives.
async fn index(State(s): State<AppState>) -> Response {
    let base = s.base_path.to_string();
    let page = INDEX.replace("{{BASE}}", &html_attribute(&base));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        page,
    )
        .into_response()
}

/// One file of [`ASSETS`], or 404.
async fn file(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(a.content_type),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            a.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file in the console").into_response(),
    }
}

/// `text` safe inside a double-quoted HTML attribute.
fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_path_is_escaped_into_the_page() {
        assert_eq!(html_attribute(r#"/a"<b>&"#), "/a&quot;&lt;b&gt;&amp;");
        assert!(INDEX.contains("{{BASE}}"));
    }

    #[test]
    fn every_asset_has_bytes_and_a_type() {
        for a in ASSETS {
            assert!(!a.bytes.is_empty(), "{}", a.path);
            assert!(a.content_type.contains('/'), "{}", a.path);
        }
    }
}

//! Refusals are logged at DEBUG, with the reason and the method, whichever
//! path decided them: a fixed policy's own, or the general one (here, for
//! a shared policy).

mod log;

use cors_core::{Policy, PolicySource, SharedPolicy};
use tracing::Level;
use warp::Filter;

const APP: &str = "https://app.example";
const OTHER: &str = "https://other.example";

fn policy() -> Policy {
    Policy::builder()
        .allow_origins([APP])
        .allow_methods(["GET", "PUT"])
        .build()
        .expect("valid policy")
}

#[tokio::test]
async fn refusals_are_logged_at_debug_on_every_path() {
    for shared in [false, true] {
        let source: PolicySource = if shared {
            SharedPolicy::new(policy()).into()
        } else {
            policy().into()
        };
        let filter = cors_warp::cors(source).wrap(warp::path!("items").map(|| "items"));
        let events = log::capture();
        let get = |origin| {
            warp::test::request()
                .path("/items")
                .header("origin", origin)
        };
        let preflight = |method| {
            warp::test::request()
                .method("OPTIONS")
                .path("/items")
                .header("origin", APP)
                .header("access-control-request-method", method)
        };
        // Two refusals, then two requests that are not.
        get(OTHER).reply(&filter).await;
        preflight("DELETE").reply(&filter).await;
        get(APP).reply(&filter).await;
        preflight("PUT").reply(&filter).await;

        let refusals: Vec<_> = events
            .at(Level::DEBUG)
            .into_iter()
            .filter(|e| e.message == "CORS request refused")
            .collect();
        assert_eq!(refusals.len(), 2, "shared: {shared}: {refusals:?}");
        let expected = [
            (format!("origin \"{OTHER}\" not allowed"), "GET"),
            ("method \"DELETE\" not allowed".to_owned(), "OPTIONS"),
        ];
        for (event, (reason, method)) in refusals.iter().zip(&expected) {
            assert_eq!(event.field("refusal"), Some(reason.as_str()), "{shared}");
            assert_eq!(event.field("method"), Some(*method), "{shared}");
        }
    }
}

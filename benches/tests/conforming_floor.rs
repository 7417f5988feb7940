//! The conforming floor does what its documentation says a conforming
//! wrapper must: its answers beyond the benchmark's six scenarios (which
//! every bench checks before timing).

use cors_benches::apps::warp::conforming_floor;
use tower::ServiceExt;
use warp::Filter;
use warp::http::{Request, Response};

const APP: &str = "https://app0.example.com";

/// The floor's answer to a request of `method` to `path` with `headers`
/// (each pair one line: a name may repeat), through `warp::service`, which,
/// unlike `warp::test`, keeps repeated lines.
fn reply(method: &str, path: &str, headers: &[(&str, &str)]) -> Response<()> {
    let routes = warp::path("items")
        .and(warp::path::end())
        .and(warp::get())
        .map(|| "items");
    let service = warp::service(conforming_floor(routes, vec![APP.to_owned()]));
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(String::new()).expect("request");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    match runtime.block_on(service.oneshot(request)) {
        Ok(response) => response.map(drop),
        Err(never) => match never {},
    }
}

fn values(response: &Response<()>, name: &str) -> Vec<String> {
    response
        .headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().expect("text").to_owned())
        .collect()
}

#[test]
fn refuses_two_origin_lines_and_varies_on_every_response() {
    let one = reply("GET", "/items", &[("origin", APP)]);
    assert_eq!(values(&one, "access-control-allow-origin"), [APP]);
    let two = reply("GET", "/items", &[("origin", APP), ("origin", APP)]);
    assert_eq!(two.status(), 200);
    assert!(values(&two, "access-control-allow-origin").is_empty());
    assert_eq!(values(&two, "vary"), ["origin"]);

    // A rejection of the routes is answered, with the header a browser
    // needs to read it.
    let missing = reply("GET", "/nothing", &[("origin", APP)]);
    assert_eq!(missing.status(), 404);
    assert_eq!(values(&missing, "access-control-allow-origin"), [APP]);
    assert_eq!(values(&missing, "vary"), ["origin"]);
}

#[test]
fn validates_every_line_and_name_of_a_preflight() {
    let preflight = |method: &'static str, lines: &[&'static str]| {
        let mut headers = vec![("origin", APP), ("access-control-request-method", method)];
        headers.extend(
            lines
                .iter()
                .map(|line| ("access-control-request-headers", *line)),
        );
        reply("OPTIONS", "/items", &headers)
    };
    let split = preflight("PUT", &["X-Request-Id", " authorization ,x-api-key"]);
    assert_eq!(split.status(), 204);
    assert_eq!(values(&split, "access-control-allow-origin"), [APP]);
    assert_eq!(values(&split, "access-control-max-age"), ["600"]);
    for refused in [
        preflight("PATCH", &[]),
        preflight("PUT", &["x-request-id", "x-other"]),
    ] {
        assert_eq!(refused.status(), 403);
        assert!(values(&refused, "access-control-allow-origin").is_empty());
        assert_eq!(
            values(&refused, "vary"),
            ["origin, access-control-request-method, access-control-request-headers"]
        );
    }
    // `OPTIONS` without the method header is an actual request: the
    // routes answer it (405: they serve `GET` only).
    let options = reply("OPTIONS", "/items", &[("origin", APP)]);
    assert_eq!(options.status(), 405);
    assert_eq!(values(&options, "access-control-allow-origin"), [APP]);
}

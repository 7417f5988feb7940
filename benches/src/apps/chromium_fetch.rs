// Read by `include!` from `cors-benches` (the `browser_allowed` scenario)
// and from `xtask` (the same request over sockets): one list for both.

/// The request headers of a cross-origin `fetch` from Chromium to
/// `api.example.com`, from the benchmark policy's allowed origin, in the
/// order Chromium sends them. Seven of the names (`sec-ch-ua*`,
/// `sec-fetch-*`, `priority`) are ones `http` does not know, which a
/// header map stores as text of their own.
pub const CHROMIUM_FETCH: [(&str, &str); 14] = [
    ("host", "api.example.com"),
    ("sec-ch-ua-platform", "\"Linux\""),
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/156.0.0.0 Safari/537.36",
    ),
    (
        "sec-ch-ua",
        "\"Chromium\";v=\"156\", \"Not-A.Brand\";v=\"24\"",
    ),
    ("sec-ch-ua-mobile", "?0"),
    ("accept", "*/*"),
    ("origin", "https://app0.example.com"),
    ("sec-fetch-site", "cross-site"),
    ("sec-fetch-mode", "cors"),
    ("sec-fetch-dest", "empty"),
    ("referer", "https://app0.example.com/"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("accept-language", "en-US,en;q=0.9"),
    ("priority", "u=1, i"),
];

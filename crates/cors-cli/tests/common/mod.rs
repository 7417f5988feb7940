//! Small servers answering fixed headers, on 127.0.0.1 and a port of their
//! own, over HTTP or HTTPS; they stop when dropped.

#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// What a test server saw: method, path and headers (names lower-case).
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The answer: status and header lines.
pub type Answer = (u16, Vec<(String, String)>);

type Handler = dyn Fn(&Seen, SocketAddr) -> Answer + Send + Sync;

pub struct Server {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    /// An HTTP server answering with `handler`.
    pub fn http(handler: impl Fn(&Seen, SocketAddr) -> Answer + Send + Sync + 'static) -> Server {
        Server::start(Arc::new(handler), None)
    }

    /// An HTTPS server with `tls`.
    pub fn https(
        tls: rustls::ServerConfig,
        handler: impl Fn(&Seen, SocketAddr) -> Answer + Send + Sync + 'static,
    ) -> Server {
        Server::start(Arc::new(handler), Some(Arc::new(tls)))
    }

    fn start(handler: Arc<Handler>, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen_by_server = seen.clone();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let handler = handler.clone();
                let seen = seen_by_server.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                            let observed = Seen {
                                method: request.method().to_string(),
                                path: request.uri().to_string(),
                                headers: request
                                    .headers()
                                    .iter()
                                    .map(|(n, v)| {
                                        (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())
                                    })
                                    .collect(),
                            };
                            let (status, headers) = handler(&observed, addr);
                            seen.lock().unwrap().push(observed);
                            let mut response = hyper::Response::builder().status(status);
                            for (name, value) in headers {
                                response = response.header(name, value);
                            }
                            let response = response.body(Full::new(Bytes::new())).unwrap();
                            async move { Ok::<_, Infallible>(response) }
                        });
                    let http = hyper::server::conn::http1::Builder::new();
                    match tls {
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                        Some(tls) => {
                            let Ok(stream) =
                                tokio_rustls::TlsAcceptor::from(tls).accept(stream).await
                            else {
                                return;
                            };
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                });
            }
        });
        Server {
            addr,
            seen,
            runtime: Some(runtime),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Header lines from pairs.
pub fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// Runs the `cors` binary.
pub fn cors(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cors"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `cors check ... --json` and parses its output.
pub fn check_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.push("--json");
    let output = cors(&all);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), value)
}

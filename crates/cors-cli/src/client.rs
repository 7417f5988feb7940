//! The HTTP client `cors check` sends its requests with: one HTTP/1.1
//! connection per request, TLS through rustls, roots bundled and from the
//! system, plus a private CA if given.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::fetch::{Outgoing, Response};

/// The most response body bytes read (and thrown away) per response.
const MAX_BODY: usize = 1 << 20;

/// Sends [`Outgoing`] requests over the network.
#[derive(Clone)]
pub struct Client {
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client trusting the bundled roots, the system's, and the PEM
    /// certificates in `cacert`; each request (connect, TLS, answer) must
    /// finish within `timeout`.
    pub fn new(cacert: Option<&Path>, timeout: Duration) -> Result<Client, String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // The system's store may be missing or partly unreadable; the
        // bundled roots still apply.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(path) = cacert {
            let shown = path.display();
            let mut added = 0;
            for cert in
                CertificateDer::pem_file_iter(path).map_err(|e| format!("--cacert {shown}: {e}"))?
            {
                let cert = cert.map_err(|e| format!("--cacert {shown}: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("--cacert {shown}: {e}"))?;
                added += 1;
            }
            if added == 0 {
                return Err(format!("--cacert {shown}: no PEM certificate in the file"));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS set-up: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Client {
            tls: Arc::new(tls),
            timeout,
        })
    }

    /// Sends `request` with `extra` headers after its own, and returns the
    /// response's status and headers. The error says what failed, with the
    /// URL.
    pub async fn send(
        &self,
        request: &Outgoing,
        extra: &[(String, String)],
    ) -> Result<Response, String> {
        let url = &request.url;
        match tokio::time::timeout(self.timeout, self.exchange(request, extra)).await {
            Ok(result) => result.map_err(|e| format!("{} {url}: {e}", request.method)),
            Err(_) => Err(format!(
                "{} {url}: no answer within {} s",
                request.method,
                self.timeout.as_secs_f64()
            )),
        }
    }

    async fn exchange(
        &self,
        request: &Outgoing,
        extra: &[(String, String)],
    ) -> Result<Response, String> {
        let url = &request.url;
        let host = url.host().trim_start_matches('[').trim_end_matches(']');
        let tcp = TcpStream::connect((host, url.port()))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        if url.scheme() == "https" {
            let name = ServerName::try_from(host.to_owned())
                .map_err(|e| format!("invalid server name: {e}"))?;
            let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS: {e}"))?;
            exchange_on(tls, request, extra).await
        } else {
            exchange_on(tcp, request, extra).await
        }
    }
}

async fn exchange_on<S>(
    stream: S,
    request: &Outgoing,
    extra: &[(String, String)],
) -> Result<Response, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP: {e}"))?;
    let connection = tokio::spawn(connection);
    let mut builder = http::Request::builder()
        .method(request.method.as_str())
        .uri(request.url.path_and_query())
        .header(http::header::HOST, request.url.authority())
        .header(
            http::header::USER_AGENT,
            concat!("cors-cli/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in request.headers.iter().chain(extra) {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if !matches!(request.method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        builder = builder.header(http::header::CONTENT_LENGTH, "0");
    }
    let outgoing = builder
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("cannot build the request: {e}"))?;
    let response = sender
        .send_request(outgoing)
        .await
        .map_err(|e| format!("HTTP: {e}"))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    // Read some of the body so the server sees a normal client; a large
    // body is cut short.
    let mut body = response.into_body();
    let mut read = 0;
    while read < MAX_BODY {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
            _ => break,
        }
    }
    connection.abort();
    Ok(Response { status, headers })
}

//! `cors check` over HTTPS, trusting a private CA made by the test.

mod common;

use std::sync::Arc;

use common::{Server, check_json, cors, headers};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A server on 127.0.0.1 whose certificate a fresh CA signed; the CA's PEM.
fn https_server() -> (Server, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cors-cli test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![CertificateDer::from(leaf.der().to_vec())], key)
    .unwrap();
    let server = Server::https(tls, |_, _| {
        (
            200,
            headers(&[
                ("access-control-allow-origin", "https://app.example"),
                ("access-control-expose-headers", "x-tls"),
                ("x-tls", "yes"),
            ]),
        )
    });
    (server, ca.pem())
}

#[test]
fn https_with_a_private_ca() {
    let (server, ca_pem) = https_server();
    let ca_file = std::env::temp_dir().join(format!("cors-cli-test-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, ca_pem).unwrap();
    let url = format!("https://{}/data", server.addr);

    let (status, out) = check_json(&[
        &url,
        "--origin",
        "https://app.example",
        "--cacert",
        ca_file.to_str().unwrap(),
    ]);
    assert_eq!(status, 0, "{out:#}");
    assert_eq!(
        out["readable_headers"],
        serde_json::json!(["content-length", "x-tls"])
    );
    assert_eq!(server.seen().len(), 1);

    // Without the CA the certificate is not trusted: a network error.
    let output = cors(&["check", &url, "--origin", "https://app.example"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("TLS:"), "{stderr}");

    // A file without a certificate is a usage error.
    std::fs::write(&ca_file, "not a certificate\n").unwrap();
    let output = cors(&[
        "check",
        &url,
        "--origin",
        "https://app.example",
        "--cacert",
        ca_file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no PEM certificate"), "{stderr}");
    std::fs::remove_file(&ca_file).unwrap();
}

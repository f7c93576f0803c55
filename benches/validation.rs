//! Validation speed on the committed fixtures (`cargo bench --bench validation`).
//! Tests never assert timings; this is where speed is measured.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use handshake::certs::Certificate;
use handshake::connection::{SecurityPolicy, SpEndpoints};
use handshake::sensitive::Sensitive;
use handshake::validate::{Context, validate};
use openssl::pkey::PKey;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

fn bench(c: &mut Criterion) {
    let certs: Vec<Certificate> = ["idp.crt", "idp-ec.crt"]
        .iter()
        .map(|f| Certificate::from_pem(&std::fs::read(fixtures().join("keys").join(f)).unwrap()).unwrap())
        .collect();
    let sp = SpEndpoints {
        entity_id: "https://app.example.com/saml/metadata".into(),
        acs_url: "https://app.example.com/saml/acs".into(),
    };
    let policy = SecurityPolicy::default();
    let key = Sensitive::new(
        PKey::private_key_from_pem(&std::fs::read(fixtures().join("keys").join("sp.key")).unwrap()).unwrap(),
    );
    let key_source = move || Ok(key.clone());
    let now: DateTime<Utc> = "2026-01-15T10:01:00Z".parse().unwrap();
    let ctx = Context {
        idp_entity_id: "https://idp.handshake.test/saml/metadata",
        signing_certificates: &certs,
        sp: &sp,
        policy: &policy,
        decryption_key: Some(&key_source),
        now,
        in_response_to: None,
        expired_request: None,
        judging: Default::default(),
    };
    let mut group = c.benchmark_group("validate");
    for (label, fixture) in [
        ("response_and_assertion_signed", "okta_valid"),
        ("assertion_signed", "entra_valid"),
        ("encrypted_aes256gcm_assertion_signed", "encrypted_gcm_oaep_sha1"),
    ] {
        let response = std::fs::read_to_string(fixtures().join("responses").join(format!("{fixture}.b64"))).unwrap();
        assert!(validate(&response, &ctx).accepted(), "{fixture} must validate");
        group.bench_function(label, |b| b.iter(|| validate(std::hint::black_box(&response), &ctx)));
    }
    group.finish();

    let aggregate = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/idp-metadata/24_agg_switch_aaitest_signed_sha1.xml");
    if let Ok(xml) = std::fs::read_to_string(aggregate) {
        c.bench_function("metadata/list_idps_1.3MB_aggregate", |b| {
            b.iter(|| handshake::metadata::list_idps(std::hint::black_box(&xml)))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);

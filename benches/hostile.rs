//! Time to judge hostile responses (tests/fixtures/hostile.rs), each generated here at the
//! size limit: `cargo bench --bench hostile`. Also the largest real shapes, and the
//! costliest inputs the verification budget still lets through to xmlsec ("under budget").
//! Tests never assert timings; this is where they are measured.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../tests/fixtures/hostile.rs"]
#[allow(dead_code)]
mod hostile;

#[path = "../tests/fixtures/generator.rs"]
#[allow(dead_code)]
mod generator;

#[path = "../tests/fixtures/oidc_hostile.rs"]
mod oidc_hostile;

#[path = "../tests/fixtures/scim/hostile.rs"]
mod scim_hostile;

use criterion::{Criterion, criterion_group, criterion_main};
use handshake::certs::Certificate;
use handshake::connection::{SecurityPolicy, SpEndpoints};
use handshake::idp::AttributeSpec;
use handshake::sensitive::Sensitive;
use handshake::validate::{Context, Report, validate};
use openssl::pkey::PKey;

fn groups(n: usize) -> Vec<AttributeSpec> {
    let groups: Vec<String> = (0..n).map(|i| format!("CN=Group {i:05},OU=Groups,DC=corp,DC=example")).collect();
    let refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    vec![AttributeSpec::new("email", &["admin@example.com"]), AttributeSpec::new("groups", &refs)]
}

/// The largest `n` in `lo..=hi` whose shape still reaches xmlsec (not refused as too
/// complex), by bisection: the costliest input the budget lets through.
fn largest_under_budget(
    judge: &dyn Fn(&str) -> Report,
    build: &dyn Fn(usize) -> String,
    mut lo: usize,
    mut hi: usize,
) -> usize {
    let refused =
        |n: usize| judge(&hostile::form(&build(n))).error.is_some_and(|e| e.violation == "signed_content_too_complex");
    if !refused(hi) {
        return hi;
    }
    while hi - lo > lo / 50 + 1 {
        let mid = lo + (hi - lo) / 2;
        if refused(mid) { hi = mid } else { lo = mid }
    }
    lo
}

fn bench(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures");
    let keys = generator::keys(&root);
    let idp = &keys.idp.certificate;
    let sp_cert = &keys.sp.certificate;
    let certs: Vec<Certificate> = vec![idp.clone(), keys.idp_ec.certificate.clone()];
    let sp = SpEndpoints { entity_id: hostile::SP_ENTITY_ID.into(), acs_url: hostile::ACS_URL.into() };
    let policy = SecurityPolicy::default();
    let key =
        Sensitive::new(PKey::private_key_from_pem(&std::fs::read(root.join("keys").join("sp.key")).unwrap()).unwrap());
    let key_source = move || Ok(key.clone());
    let ctx = Context {
        idp_entity_id: hostile::IDP_ENTITY_ID,
        signing_certificates: &certs,
        sp: &sp,
        policy: &policy,
        decryption_key: Some(&key_source),
        now: generator::judged_at(),
        in_response_to: None,
        expired_request: None,
        judging: Default::default(),
    };
    let judge = |form: &str| validate(form, &ctx);

    let real = |n: usize| {
        let form = generator::numbered_login(&keys.idp, 1, "admin@example.com", groups(n));
        String::from_utf8(base64::Engine::decode(&base64::engine::general_purpose::STANDARD, form).unwrap()).unwrap()
    };
    let flat = |n: usize| {
        hostile::forged_assertion_response(
            hostile::EXC_C14N,
            "",
            hostile::DeclaredOn::Response,
            &"<e></e>".repeat(n),
            idp,
        )
    };
    let limit = hostile::XML_BUDGET;
    let mut shapes: Vec<(String, String)> = vec![
        ("real/5000_groups".into(), real(5000)),
        ("real/20000_groups".into(), real(20_000)),
        ("a/inclusive_fanout_1000_decls_x_9000_elements".into(), hostile::inclusive_fanout(1000, 9000, idp)),
        ("a/inclusive_fanout_outside_1000x1000".into(), hostile::inclusive_fanout_outside(1000, 1000, idp)),
        ("a/inclusive_nested_200_deep_x_30000_leaves".into(), hostile::inclusive_nested(200, 30_000, idp)),
        ("b/exclusive_flat_3MB".into(), hostile::exclusive_large(1, 0, idp)),
        ("b/exclusive_10_attributes_3MB".into(), hostile::exclusive_large(3, 10, idp)),
        ("b/exclusive_250_deep_3MB".into(), hostile::exclusive_large(250, 0, idp)),
        ("b/exclusive_stack_250_deep_x_50_attributes_3MB".into(), hostile::exclusive_stack(250, 50, idp)),
        ("b/exclusive_rerender_100KB_uri_x_20000".into(), hostile::exclusive_rerender(100_000, 20_000, idp)),
        ("c/encrypted_3MB".into(), hostile::encrypted_large(hostile::ENCRYPTED_PLAINTEXT_BUDGET, idp, sp_cert)),
        (
            "c/encrypted_31_outer_prefixes_3MB".into(),
            hostile::encrypted_prefixes(31, hostile::ENCRYPTED_PLAINTEXT_BUDGET, hostile::EXC_C14N, idp, sp_cert),
        ),
        ("d/keyinfo_3MB".into(), hostile::huge_keyinfo(idp)),
    ];
    // The costliest inputs of each family the budget still lets through to xmlsec.
    let n = largest_under_budget(&judge, &flat, 1000, limit / 7);
    shapes.push((format!("under_budget/exclusive_flat_{n}_elements"), flat(n)));
    let fanout = |n: usize| hostile::inclusive_fanout(100, n, idp);
    let n = largest_under_budget(&judge, &fanout, 100, 20_000);
    shapes.push((format!("under_budget/inclusive_fanout_100x{n}"), fanout(n)));
    let nested = |n: usize| hostile::inclusive_nested(100, n, idp);
    let n = largest_under_budget(&judge, &nested, 100, 20_000);
    shapes.push((format!("under_budget/inclusive_nested_100x{n}"), nested(n)));
    let encrypted = |n: usize| hostile::encrypted_large(n, idp, sp_cert);
    let n = largest_under_budget(&judge, &encrypted, 10_000, hostile::ENCRYPTED_PLAINTEXT_BUDGET);
    shapes.push((format!("under_budget/encrypted_{n}_bytes"), encrypted(n)));

    let mut group = c.benchmark_group("hostile");
    for (name, xml) in &shapes {
        let form = hostile::form(xml);
        let r = judge(&form);
        let verdict = r.error.map_or("accepted".to_owned(), |e| format!("{}/{}", e.check, e.violation));
        eprintln!("{name}: {} bytes posted, {verdict}", form.len());
        group.bench_function(name.as_str(), |b| b.iter(|| judge(std::hint::black_box(&form))));
    }
    group.finish();
}

/// Hostile ID tokens and JWKS (tests/fixtures/oidc_hostile.rs), judged by `oidc::judge`.
fn bench_oidc(c: &mut Criterion) {
    let settings = oidc_hostile::settings();
    let mut group = c.benchmark_group("hostile");
    for (name, token, jwks) in oidc_hostile::shapes(&oidc_hostile::claims()) {
        let r = oidc_hostile::judge(&settings, &token, &jwks);
        let verdict = r.failure.map_or("accepted".to_owned(), |f| format!("{}/{}", f.check, f.violation));
        eprintln!("{name}: {} bytes token, {} bytes JWKS, {verdict}", token.len(), jwks.len());
        group.bench_function(name.as_str(), |b| {
            b.iter(|| oidc_hostile::judge(&settings, std::hint::black_box(&token), &jwks))
        });
    }
    group.finish();
}

/// Hostile SCIM requests (tests/fixtures/scim/hostile.rs): each timed from the body bytes (JSON
/// parse included) to the answer, as `workbench::scim` would run it.
fn bench_scim(c: &mut Criterion) {
    use handshake::scim::list::{self, ListQuery};
    use handshake::scim::{ResourceKind, filter, patch, resource};
    use serde_json::Value;
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    let mut group = c.benchmark_group("hostile-scim");
    let users = scim_hostile::users(1000);
    for (name, text) in
        [("filter-4k-nested", scim_hostile::nested_filter()), ("filter-4k-wide", scim_hostile::wide_filter())]
    {
        let query = vec![("filter".to_owned(), text.clone())];
        eprintln!("{name}: {} bytes, over 1,000 users", text.len());
        group.bench_function(format!("{name}-parse"), |b| b.iter(|| filter::parse(std::hint::black_box(&text))));
        group.bench_function(format!("{name}-list-1000"), |b| {
            b.iter(|| list::respond(ResourceKind::User, &users, &ListQuery::from_query(&query).unwrap()))
        });
    }
    let user = scim_hostile::user();
    let ten_thousand = scim_hostile::group(10_000);
    let empty = scim_hostile::group(0);
    let cases: [(&str, ResourceKind, &Value, String); 5] = [
        ("patch-max-ops", ResourceKind::User, &user, scim_hostile::max_ops()),
        ("patch-1MiB-member-removal", ResourceKind::Group, &ten_thousand, scim_hostile::max_member_removal()),
        ("patch-1MiB-member-add", ResourceKind::Group, &ten_thousand, scim_hostile::max_member_add()),
        ("patch-visit-budget", ResourceKind::Group, &empty, scim_hostile::quadratic_patch()),
        ("post-1MiB-user", ResourceKind::User, &user, scim_hostile::max_create()),
    ];
    for (name, kind, current, body) in cases {
        let verdict = match name.starts_with("post") {
            true => resource::create(kind, &parse(&body)).map(|_| ()),
            false => patch::apply(kind, current, &parse(&body)).map(|_| ()),
        };
        eprintln!("{name}: {} bytes, {}", body.len(), verdict.map_or_else(|e| e.to_string(), |()| "accepted".into()));
        group.bench_function(name, |b| {
            b.iter(|| {
                let v = parse(std::hint::black_box(&body));
                match name.starts_with("post") {
                    true => resource::create(kind, &v).map(|_| ()),
                    false => patch::apply(kind, current, &v).map(|_| ()),
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench, bench_oidc, bench_scim
}
criterion_main!(benches);

//! CPU time to judge one hostile shape (tests/fixtures/hostile.rs), for the README table.
//!
//! `cargo run --release --example hostile-cost -- SHAPE [ARGS...] [--certs N]`
//! prints the input size, the verdict and the CPU time of `validate` (the judging
//! thread's on-CPU time from /proc/thread-self/schedstat, so other load on the machine
//! does not inflate it). Shapes (tests/fixtures/hostile.rs): inclusive_fanout D E |
//! inclusive_fanout_outside D E | inclusive_nested DEPTH LEAVES | exclusive_large DEPTH ATTRS |
//! exclusive_sized DEPTH ATTRS BYTES | exclusive_stack DEPTH ATTRS | exclusive_rerender URI_BYTES E |
//! encrypted_large BYTES | encrypted_prefixes N BYTES exclusive|inclusive | huge_keyinfo |
//! legit_groups N | metadata_certs N (times `metadata::import` instead) | oidc (times
//! `oidc::judge` on every shape of tests/fixtures/oidc_hostile.rs).
//! `HANDSHAKE_LOG=handshake::validate=debug` also prints the verification estimate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../tests/fixtures/hostile.rs"]
#[allow(dead_code)]
mod hostile;

#[path = "../tests/fixtures/generator.rs"]
#[allow(dead_code)]
mod generator;

#[path = "../tests/fixtures/oidc_hostile.rs"]
mod oidc_hostile;

use handshake::certs::Certificate;
use handshake::connection::{SecurityPolicy, SpEndpoints};
use handshake::idp::AttributeSpec;
use handshake::sensitive::Sensitive;
use handshake::validate::{Context, validate};
use openssl::pkey::PKey;

fn cpu_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    s.split_whitespace().next().unwrap().parse().unwrap()
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("HANDSHAKE_LOG"))
        .with_writer(std::io::stdout)
        .without_time()
        .init();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut certs_wanted = 2usize;
    if let Some(i) = args.iter().position(|a| a == "--certs") {
        certs_wanted = args[i + 1].parse().unwrap();
        args.drain(i..i + 2);
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures");
    let keys = generator::keys(&root);
    let idp = &keys.idp.certificate;
    let n = |i: usize| args[i].parse::<usize>().unwrap();
    if args[0] == "oidc" {
        let settings = oidc_hostile::settings();
        for (name, token, jwks) in oidc_hostile::shapes(&oidc_hostile::claims()) {
            let start = cpu_ns();
            let r = oidc_hostile::judge(&settings, &token, &jwks);
            let cpu = cpu_ns() - start;
            let verdict = r.failure.map_or("accepted".to_owned(), |f| format!("{}/{}", f.check, f.violation));
            println!(
                "{name} | token {} B | jwks {} B | cpu {:.1} ms | {verdict}",
                token.len(),
                jwks.len(),
                cpu as f64 / 1e6
            );
        }
        return;
    }
    if args[0] == "metadata_certs" {
        // Metadata with N distinct signing certificates (the size limit is 16 MiB).
        let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
        let xml = generator::metadata_with_certificates(
            (0..n(1)).map(|i| generator::certificate(&format!("k{i}"), &key, 1).to_der().unwrap()),
        );
        let start = cpu_ns();
        let r = handshake::metadata::import(&xml, None, generator::judged_at());
        let cpu = cpu_ns() - start;
        println!(
            "{} | xml {} B | cpu {:.1} ms | {}",
            args.join(" "),
            xml.len(),
            cpu as f64 / 1e6,
            match r {
                Ok(i) => format!("{} certificates", i.idp.signing_certificates.len()),
                Err(e) => e.to_string(),
            }
        );
        return;
    }
    let xml = match args[0].as_str() {
        "inclusive_fanout" => hostile::inclusive_fanout(n(1), n(2), idp),
        "inclusive_fanout_outside" => hostile::inclusive_fanout_outside(n(1), n(2), idp),
        "inclusive_nested" => hostile::inclusive_nested(n(1), n(2), idp),
        "exclusive_large" => hostile::exclusive_large(n(1), n(2), idp),
        "exclusive_sized" => hostile::exclusive_sized(n(1), n(2), n(3), idp),
        "exclusive_stack" => hostile::exclusive_stack(n(1), n(2), idp),
        "exclusive_rerender" => hostile::exclusive_rerender(n(1), n(2), idp),
        "encrypted_prefixes" => {
            let c14n = if args[3] == "inclusive" { hostile::INCLUSIVE_C14N } else { hostile::EXC_C14N };
            hostile::encrypted_prefixes(n(1), n(2), c14n, idp, &keys.sp.certificate)
        }
        "encrypted_large" => hostile::encrypted_large(n(1), idp, &keys.sp.certificate),
        "huge_keyinfo" => hostile::huge_keyinfo(idp),
        "legit_groups" => {
            let groups: Vec<String> =
                (0..n(1)).map(|i| format!("CN=Group {i:05},OU=Groups,DC=corp,DC=example")).collect();
            let refs: Vec<&str> = groups.iter().map(String::as_str).collect();
            let attrs = vec![AttributeSpec::new("email", &["admin@example.com"]), AttributeSpec::new("groups", &refs)];
            String::from_utf8(
                base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    generator::numbered_login(&keys.idp, 1, "admin@example.com", attrs),
                )
                .unwrap(),
            )
            .unwrap()
        }
        other => panic!("unknown shape {other}"),
    };
    let form = hostile::form(&xml);

    // The fixture metadata's two certificates, then copies of other keys' to reach --certs.
    let mut certs: Vec<Certificate> = vec![idp.clone(), keys.idp_ec.certificate.clone()];
    let extra = [&keys.attacker.certificate, &keys.sp.certificate, &keys.other_sp.certificate];
    while certs.len() < certs_wanted {
        certs.push(extra[certs.len() % extra.len()].clone());
    }
    certs.truncate(certs_wanted);
    let sp = SpEndpoints { entity_id: hostile::SP_ENTITY_ID.into(), acs_url: hostile::ACS_URL.into() };
    let policy = SecurityPolicy::default();
    let key =
        Sensitive::new(PKey::private_key_from_pem(&std::fs::read(root.join("keys").join("sp.key")).unwrap()).unwrap());
    let source = move || Ok(key.clone());
    let ctx = Context {
        idp_entity_id: hostile::IDP_ENTITY_ID,
        signing_certificates: &certs,
        sp: &sp,
        policy: &policy,
        decryption_key: Some(&source),
        now: generator::judged_at(),
        in_response_to: None,
        expired_request: None,
        judging: Default::default(),
    };
    let start = cpu_ns();
    let wall = std::time::Instant::now();
    let report = validate(&form, &ctx);
    let cpu = cpu_ns() - start;
    let outcome = match &report.error {
        Some(e) => format!("{} / {}: {:.160}", e.check, e.violation, e.message),
        None => "accepted".to_owned(),
    };
    println!(
        "{} | xml {} B | form {} B | certs {} | cpu {:.1} ms | wall {:.1} ms | {}",
        args.join(" "),
        xml.len(),
        form.len(),
        certs.len(),
        cpu as f64 / 1e6,
        wall.elapsed().as_secs_f64() * 1e3,
        outcome
    );
}

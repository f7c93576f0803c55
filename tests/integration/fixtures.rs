//! The committed fixtures are what the committed generator produces.

use crate::oidc_validation::oidc_generator;
use crate::validation::{fixtures_dir, generator};

#[test]
fn committed_fixtures_match_the_generator() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    for entry in std::fs::read_dir(fixtures_dir().join("keys")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, keys.join(p.file_name().unwrap())).unwrap();
    }
    let cases = generator::generate(tmp.path());
    let committed = fixtures_dir().join("responses");
    let mut names: Vec<String> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".b64"))
        .collect();
    names.sort();
    let mut generated: Vec<String> = cases.iter().map(|c| format!("{}.b64", c.name)).collect();
    generated.sort();
    assert_eq!(names, generated, "run `cargo run --example generate-fixtures` and commit the result");
    for c in cases.iter().filter(|c| c.deterministic) {
        let file = format!("{}.b64", c.name);
        assert_eq!(
            std::fs::read(committed.join(&file)).unwrap(),
            std::fs::read(tmp.path().join("responses").join(&file)).unwrap(),
            "{file} is stale: run `cargo run --example generate-fixtures` and commit the result"
        );
    }
    assert_eq!(
        std::fs::read(fixtures_dir().join("idp").join("metadata.xml")).unwrap(),
        std::fs::read(tmp.path().join("idp").join("metadata.xml")).unwrap()
    );

    // The OpenID Connect fixtures: JWKS files, cases.json, every deterministic token.
    let cases = oidc_generator::generate_oidc(tmp.path());
    let (committed, fresh) = (fixtures_dir().join("oidc"), tmp.path().join("oidc"));
    for file in ["jwks.json", "rotated-jwks.json", "cases.json"] {
        assert_eq!(
            std::fs::read(committed.join(file)).unwrap(),
            std::fs::read(fresh.join(file)).unwrap(),
            "oidc/{file} is stale: run `cargo run --example generate-fixtures` and commit the result"
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(committed.join("tokens"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut generated: Vec<String> = cases.iter().map(|c| format!("{}.jwt", c.name)).collect();
    generated.sort();
    assert_eq!(names, generated, "run `cargo run --example generate-fixtures` and commit the result");
    for c in cases.iter().filter(|c| c.deterministic) {
        let file = format!("{}.jwt", c.name);
        assert_eq!(
            std::fs::read_to_string(committed.join("tokens").join(&file)).unwrap(),
            c.token,
            "oidc/tokens/{file} is stale: run `cargo run --example generate-fixtures` and commit the result"
        );
    }
}

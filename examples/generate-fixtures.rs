//! Regenerates tests/fixtures (see tests/fixtures/generator.rs and oidc_generator.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../tests/fixtures/generator.rs"]
#[allow(dead_code)] // helpers the tests and benchmarks use
mod generator;

#[path = "../tests/fixtures/oidc_generator.rs"]
#[allow(dead_code)]
mod oidc_generator;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures");
    let cases = generator::generate(&root);
    println!("wrote {} responses to {}", cases.len(), root.join("responses").display());
    let tokens = oidc_generator::generate_oidc(&root);
    println!("wrote {} ID tokens to {}", tokens.len(), root.join("oidc").display());
}

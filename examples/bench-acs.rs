//! ACS requests per second under a bounded local load: N distinct valid responses POSTed to
//! the embedded SP over loopback by C concurrent clients, each provisioned durably.
//! `cargo run --release --example bench-acs [N] [C]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../tests/fixtures/generator.rs"]
#[allow(dead_code)]
mod generator;

use std::sync::Arc;
use std::time::Instant;

use handshake::clock::FixedClock;
use handshake::idp::AttributeSpec;
use handshake::secrets::{MemoryStore, SecretStore};
use handshake::server::{AppState, Pool};
use handshake::store::Store;
use handshake::workbench::Workbench;

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let c: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(4);
    let key = generator::idp_key();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("acs.db");
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
    let open = || Workbench::with_parts(Store::open(&db).unwrap(), secrets.clone(), "http://127.0.0.1:7777".into());
    let first = open();
    first.import_connection(&generator::fixture_connection("bench"), generator::judged_at()).unwrap();
    eprintln!("signing {n} responses...");
    let forms: Vec<String> = (0..n)
        .map(|i| {
            let email = format!("user{i}@example.com");
            let attributes = vec![AttributeSpec::new("email", &[&email]), AttributeSpec::new("groups", &["Everyone"])];
            let b64 = generator::numbered_login(&key, i, &email, attributes);
            url::form_urlencoded::Serializer::new(String::new()).append_pair("SAMLResponse", &b64).finish()
        })
        .collect();
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2);
    let mut pool = vec![first];
    pool.extend((1..workers).map(|_| open()));
    let state = AppState::new(Pool::new(pool), Arc::new(FixedClock(generator::judged_at()))).unwrap();
    let listener = handshake::server::bind(0).await.unwrap();
    let url = format!("http://{}/saml/bench/acs", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(handshake::server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let forms = Arc::new(forms);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let tasks: Vec<_> = (0..c)
        .map(|_| {
            let (client, url, forms, next) = (client.clone(), url.clone(), forms.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(body) = forms.get(i) else { break };
                    let res = client
                        .post(&url)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 303);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    let created = open().users(&Default::default()).unwrap().len();
    assert_eq!(created, n, "every login provisioned a user");
    println!(
        "{n} ACS requests, {c} concurrent clients, {workers} SP workers: {:.0} requests/s ({secs:.2} s)",
        n as f64 / secs
    );
}

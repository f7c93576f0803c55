//! The app's OpenID Connect calls (src/desktop/oidc.rs) against a real embedded server on a
//! loopback port, whose demo OpenID Provider answers discovery and JWKS over HTTP: the
//! import path (discover, preview, add with a secret that never comes back), the keys the
//! detail tab lists, re-discover, settings, the secret, and the OIDC demo connection.

use std::sync::Arc;

use chrono::{DateTime, TimeZone as _, Utc};
use handshake::ErrorCode;
use handshake::clock::FixedClock;
use handshake::connection::Protocol;
use handshake::desktop::{Desktop, OidcAddRequest, OidcSettingsChange};
use handshake::oidc::{ClientAuth, RedirectHost};
use handshake::secrets::SecretStoreKind;
use handshake::workbench::OpenOptions;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
}

async fn app() -> (tempfile::TempDir, Desktop, String) {
    let dir = tempfile::tempdir().unwrap();
    let options = OpenOptions {
        db: Some(dir.path().join("oidc.db")),
        secret_store: SecretStoreKind::Memory,
        port: 0,
        actor: "ada".into(),
    };
    let desktop = Desktop::open(&options, Arc::new(FixedClock(at()))).unwrap();
    let status = desktop.start_server(0).await;
    assert!(status.running, "{:?}", status.error);
    (dir, desktop, status.base_url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_is_discovered_over_http_previewed_and_added_without_echoing_the_secret() {
    let (_dir, d, base) = app().await;
    // The demo OP publishes its key once it exists: the OIDC demo makes it.
    d.create_oidc_demo().await.unwrap();
    let issuer = format!("{base}/demo-idp/oidc");

    let found = d.discover_oidc(issuer.clone(), Some("op".into()), "op-1".into()).await.unwrap();
    assert_eq!(found.typed_url, issuer);
    assert_eq!(found.preview.issuer, issuer);
    assert_eq!(found.preview.token_endpoint, format!("{issuer}/token"));
    assert_eq!(found.preview.redirect_uris[0], format!("{base}/oidc/op/callback"));
    let jwks = found.jwks.clone().expect("the demo OP's JWKS is fetched");
    assert_eq!(jwks.keys.len(), 1);
    assert_eq!(jwks.keys[0].kty.as_deref(), Some("RSA"));
    assert_eq!(jwks.keys[0].alg.as_deref(), Some("RS256"));
    assert!(found.jwks_error.is_none());

    let secret = "s3cr3t-typed-by-the-admin";
    let view = d
        .add_oidc_connection(OidcAddRequest {
            name: "op".into(),
            typed_url: Some(found.typed_url.clone()),
            discovery_json: Some(found.discovery_json.clone()),
            manual: None,
            jwks_json: Some(jwks.jwks_json.clone()),
            client_id: "handshake-demo".into(),
            client_secret: Some(secret.into()),
            client_auth: None,
            scopes: Some(vec!["openid".into(), "email".into()]),
        })
        .await
        .unwrap();
    assert_eq!(view.protocol, Protocol::Oidc);
    let oidc = view.oidc.clone().unwrap();
    assert_eq!(oidc.client_auth, ClientAuth::ClientSecretBasic);
    assert_eq!(oidc.scopes, ["openid", "email"]);
    assert!(!serde_json::to_string(&view).unwrap().contains(secret), "the secret never comes back over IPC");
    let listed = d.list_connections().await.unwrap();
    assert_eq!(listed.iter().find(|c| c.name == "op").unwrap().protocol, Protocol::Oidc);

    // What the detail tab lists: the cached keys, no key material.
    let keys = d.oidc_jwks_keys("op".into()).await.unwrap();
    assert_eq!(keys, jwks.keys);

    // Re-discover: the same document, no change; applying refreshes the keys.
    let again = d.rediscover_preview("op".into(), "op-2".into()).await.unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert_eq!(again.url, format!("{issuer}/.well-known/openid-configuration"));
    let applied =
        d.replace_discovery("op".into(), again.discovery_json, again.jwks.map(|j| j.jwks_json)).await.unwrap();
    assert!(applied.oidc.unwrap().discovered_at.is_some());

    // Settings: only what is given changes.
    let changed = d
        .set_oidc_settings(
            "op".into(),
            OidcSettingsChange {
                redirect_host: Some(RedirectHost::Localhost),
                clock_skew_seconds: Some(30),
                ..OidcSettingsChange::default()
            },
        )
        .await
        .unwrap();
    let o = changed.oidc.unwrap();
    assert_eq!(o.redirect_host, RedirectHost::Localhost);
    assert!(o.redirect_uri.starts_with("http://localhost:"), "{}", o.redirect_uri);
    assert_eq!(o.scopes, ["openid", "email"]);
    assert_eq!(changed.policy.clock_skew_seconds, 30);

    // The secret: a public client first, then the secret can go.
    let public = OidcSettingsChange { client_auth: Some(ClientAuth::None), ..OidcSettingsChange::default() };
    d.set_oidc_settings("op".into(), public).await.unwrap();
    let removed = d.set_oidc_client_secret("op".into(), None).await.unwrap();
    assert_eq!(removed.oidc.unwrap().client_auth, ClientAuth::None);

    // The test login starts at the OIDC route.
    assert_eq!(d.login_url("op".into()).await.unwrap(), format!("{base}/oidc/op/login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_issuer_is_refused_and_a_saml_connection_is_not_rediscovered() {
    let (_dir, d, base) = app().await;
    d.create_oidc_demo().await.unwrap();
    // The document names {base}/demo-idp/oidc, not what was typed.
    let typed = format!("{base}/demo-idp/oidc/");
    let e = d.discover_oidc(typed, None, "op-1".into()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidMetadata, "{e:?}");
    d.create_demo(None).await.unwrap();
    let e = d.rediscover_preview("demo".into(), "op-2".into()).await.unwrap_err();
    assert!(e.message.contains("SAML"), "{}", e.message);
    let e = d.fetch_jwks(format!("{base}/nowhere"), "op-3".into()).await.unwrap_err();
    assert_ne!(e.code, ErrorCode::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oidc_demo_connection_is_created_reused_and_made_again_on_another_port() {
    let (_dir, d, base) = app().await;
    let setup = d.create_oidc_demo().await.unwrap();
    assert!(setup.created);
    assert_eq!(setup.connection.name, "demo-oidc");
    assert_eq!(setup.login_url, format!("{base}/oidc/demo-oidc/login"));
    let oidc = setup.connection.oidc.clone().unwrap();
    assert_eq!(oidc.issuer, format!("{base}/demo-idp/oidc"));
    assert_eq!(oidc.client_auth, ClientAuth::ClientSecretBasic);
    assert!(oidc.scopes.contains(&"groups".to_owned()));
    assert_eq!(oidc.jwks_kids.len(), 1);

    let reused = d.create_oidc_demo().await.unwrap();
    assert!(!reused.created && !reused.metadata_refreshed);

    let moved = d.start_server(0).await;
    assert!(moved.running);
    let again = d.create_oidc_demo().await.unwrap();
    assert!(again.created && again.metadata_refreshed);
    assert_eq!(again.connection.oidc.unwrap().issuer, format!("{}/demo-idp/oidc", moved.base_url));
}

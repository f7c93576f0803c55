//! OpenID Connect connections: the catalog rows (connection_oidc, oidc_requests), the
//! client secret in the secret store only, discovery, and the operations and CLI on them.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use handshake::ErrorCode;
use handshake::connection::{IdpDescriptor, SecurityPolicy, SpConfig};
use handshake::oidc::{Alg, ClientAuth, OidcSettings, RedirectHost};
use handshake::store::oidc::{self as oidc_store, DiscoveryUpdate, NewOidcRequest};
use handshake::store::{NewConnection, Store};

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + secs, 0).single().unwrap()
}

pub fn settings(issuer: &str) -> OidcSettings {
    OidcSettings {
        issuer: issuer.into(),
        discovery_url: Some(format!("{issuer}/.well-known/openid-configuration")),
        discovery_json: Some(format!(r#"{{"issuer":"{issuer}"}}"#)),
        discovered_at: Some(at(0)),
        authorization_endpoint: format!("{issuer}/authorize"),
        token_endpoint: format!("{issuer}/token"),
        userinfo_endpoint: Some(format!("{issuer}/userinfo")),
        jwks_uri: format!("{issuer}/jwks"),
        jwks_json: Some(r#"{"keys":[]}"#.into()),
        jwks_fetched_at: Some(at(1)),
        client_id: "client-1".into(),
        client_auth: ClientAuth::ClientSecretPost,
        scopes: vec!["openid".into(), "email".into()],
        allowed_algs: vec![Alg::RS256, Alg::ES256],
        trusted_audiences: vec!["api://x".into()],
        call_userinfo: false,
        redirect_host: RedirectHost::Localhost,
    }
}

fn new_oidc(name: &str, issuer: &str) -> NewConnection {
    NewConnection {
        name: name.into(),
        idp: IdpDescriptor {
            entity_id: issuer.into(),
            sso: vec![],
            slo: vec![],
            name_id_formats: vec![],
            signing_certificates: vec![],
            want_authn_requests_signed: false,
            valid_until: None,
        },
        sp: SpConfig::default(),
        policy: SecurityPolicy::default(),
        metadata_xml: String::new(),
        metadata_source: "manual".into(),
        oidc: Some(settings(issuer)),
    }
}

fn count(store: &Store, sql: &str) -> i64 {
    crate::sql(store).query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn an_oidc_connection_round_trips_through_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let stored = {
        let store = Store::open(&path).unwrap();
        store.insert_connection(&new_oidc("okta-oidc", "https://op.example"), at(5)).unwrap()
    };
    assert_eq!(stored.oidc, Some(settings("https://op.example")));
    assert_eq!(stored.protocol(), handshake::connection::Protocol::Oidc);
    let store = Store::open(&path).unwrap();
    let read = store.get_connection("okta-oidc").unwrap();
    assert_eq!(read, stored);
    assert_eq!(store.list_connections().unwrap(), vec![stored.clone()]);
    let protocol: String = crate::sql(&store).query_row("SELECT protocol FROM connections", [], |r| r.get(0)).unwrap();
    assert_eq!(protocol, "oidc");

    // An update rewrites the settings; a rename keeps them.
    let mut changed = read.clone();
    changed.name = "renamed".into();
    let s = changed.oidc.as_mut().unwrap();
    s.client_id = "client-2".into();
    s.allowed_algs = vec![Alg::PS256];
    s.discovery_url = None;
    s.discovered_at = None;
    s.userinfo_endpoint = None;
    s.redirect_host = RedirectHost::Loopback;
    let updated = store.update_connection(&changed, at(9)).unwrap();
    assert_eq!(updated.oidc, changed.oidc);
    assert_eq!(store.get_connection("renamed").unwrap().oidc, changed.oidc);
    assert_eq!(count(&store, "SELECT count(*) FROM connection_oidc"), 1);

    store.remove_connection("renamed").unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM connection_oidc"), 0);
}

#[test]
fn the_issuer_is_the_idp_entity_id_and_an_oidc_connection_has_no_saml_parts() {
    let store = Store::open_in_memory().unwrap();
    let mut c = new_oidc("x", "https://op.example");
    c.idp.entity_id = "https://other.example".into();
    let err = store.insert_connection(&c, at(0)).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("must be the same"), "{}", err.message);
    let mut c = new_oidc("x", "https://op.example");
    c.idp.sso.push(handshake::connection::Endpoint { binding: "b".into(), location: "https://sso".into() });
    assert_eq!(store.insert_connection(&c, at(0)).unwrap_err().code, ErrorCode::InvalidInput);
    assert!(store.list_connections().unwrap().is_empty());
}

#[test]
fn corrupt_oidc_rows_are_storage_errors_not_panics() {
    for sql in [
        "UPDATE connection_oidc SET allowed_algs = '[\"none\"]'",
        "UPDATE connection_oidc SET scopes = 'openid email'",
        "UPDATE connection_oidc SET client_auth = 'magic'",
        "DELETE FROM connection_oidc",
        "UPDATE connections SET protocol = 'oidc' WHERE name = 'saml'",
    ] {
        let store = Store::open_in_memory().unwrap();
        store.insert_connection(&new_oidc("oidc", "https://op.example"), at(0)).unwrap();
        let mut saml = new_oidc("saml", "urn:saml");
        saml.oidc = None;
        store.insert_connection(&saml, at(0)).unwrap();
        // CHECK constraints refuse some corruptions outright; the others read as Storage.
        if crate::sql(&store).execute_batch(sql).is_err() {
            continue;
        }
        let err = store.list_connections().unwrap_err();
        assert_eq!(err.code, ErrorCode::Storage, "{sql}: {}", err.message);
    }
}

#[test]
fn authorization_requests_answer_once_expire_and_are_capped_per_connection() {
    let store = Store::open_in_memory().unwrap();
    let c = store.insert_connection(&new_oidc("oidc", "https://op.example"), at(0)).unwrap();
    let request = |state: &'static str, expires: i64| NewOidcRequest {
        state,
        connection_id: c.id,
        nonce: "n-1",
        redirect_uri: "http://127.0.0.1:7777/oidc/oidc/callback",
        return_to: Some("/connections/oidc"),
        expires_at: at(expires),
    };
    let tx = store.write().unwrap();
    oidc_store::insert_request(&tx, &request("s1", 600), at(0), 3).unwrap();
    tx.commit().unwrap();
    let found = oidc_store::find_request(&store, "s1", c.id).unwrap().unwrap();
    assert_eq!(found.nonce, "n-1");
    assert_eq!(found.redirect_uri, "http://127.0.0.1:7777/oidc/oidc/callback");
    assert_eq!(found.return_to.as_deref(), Some("/connections/oidc"));
    assert_eq!((found.created_at, found.expires_at, found.used), (at(0), at(600), false));
    assert_eq!(oidc_store::find_request(&store, "s1", c.id + 1).unwrap(), None, "another connection's state");
    assert_eq!(oidc_store::outstanding_requests(&store, c.id, at(1)).unwrap(), 1);

    // Answered once, atomically.
    let tx = store.write().unwrap();
    assert!(oidc_store::answer_request(&tx, "s1", at(2)).unwrap());
    assert!(!oidc_store::answer_request(&tx, "s1", at(3)).unwrap());
    assert!(!oidc_store::answer_request(&tx, "unknown", at(3)).unwrap());
    tx.commit().unwrap();
    assert!(oidc_store::find_request(&store, "s1", c.id).unwrap().unwrap().used);

    // At most `keep` per connection, the newest.
    let tx = store.write().unwrap();
    for (i, s) in ["s2", "s3", "s4", "s5"].into_iter().enumerate() {
        oidc_store::insert_request(&tx, &request(s, 600), at(10 + i as i64), 3).unwrap();
    }
    tx.commit().unwrap();
    let left: Vec<String> = crate::sql(&store)
        .prepare("SELECT state FROM oidc_requests ORDER BY state")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(left, ["s3", "s4", "s5"]);

    // A day past expiry they are pruned.
    let tx = store.write().unwrap();
    assert_eq!(oidc_store::prune_expired(&tx, at(600) + Duration::days(1)).unwrap(), 0);
    assert_eq!(oidc_store::prune_expired(&tx, at(601) + Duration::days(1)).unwrap(), 3);
    tx.commit().unwrap();

    // Removing the connection removes its requests.
    let tx = store.write().unwrap();
    oidc_store::insert_request(&tx, &request("s6", 600), at(20), 3).unwrap();
    tx.commit().unwrap();
    store.remove_connection("oidc").unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM oidc_requests"), 0);
}

#[test]
fn jwks_and_discovery_are_replaced_in_place() {
    let store = Store::open_in_memory().unwrap();
    let c = store.insert_connection(&new_oidc("oidc", "https://op.example"), at(0)).unwrap();
    let tx = store.write().unwrap();
    assert!(oidc_store::set_jwks(&tx, c.id, r#"{"keys":[{"kty":"EC"}]}"#, at(50)).unwrap());
    let update = DiscoveryUpdate {
        discovery_url: Some("https://op.example/.well-known/openid-configuration"),
        discovery_json: Some("{}"),
        authorization_endpoint: "https://op.example/a2",
        token_endpoint: "https://op.example/t2",
        userinfo_endpoint: None,
        jwks_uri: "https://op.example/j2",
    };
    assert!(oidc_store::set_discovery(&tx, c.id, &update, at(60)).unwrap());
    assert!(!oidc_store::set_jwks(&tx, c.id + 100, "{}", at(50)).unwrap());
    tx.commit().unwrap();
    let s = store.get_connection("oidc").unwrap().oidc.unwrap();
    assert_eq!(s.jwks_json.as_deref(), Some(r#"{"keys":[{"kty":"EC"}]}"#));
    assert_eq!(s.jwks_fetched_at, Some(at(50)));
    assert_eq!(s.discovered_at, Some(at(60)));
    assert_eq!(
        (s.authorization_endpoint.as_str(), s.token_endpoint.as_str()),
        ("https://op.example/a2", "https://op.example/t2")
    );
    assert_eq!((s.userinfo_endpoint, s.jwks_uri.as_str()), (None, "https://op.example/j2"));
    assert_eq!(s.issuer, "https://op.example");
}

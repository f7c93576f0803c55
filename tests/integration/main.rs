//! The one integration-test binary. A module per area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
// Tests read the catalog's tables directly, to check what a operation wrote (or did not).
#![allow(clippy::disallowed_types, clippy::disallowed_macros)]

mod admin_audit;
mod analysis;
mod cli;
mod crash;
mod demo;
mod demo_op;
mod desktop;
mod diagnosis;
mod e2e;
mod e2e_oidc;
mod e2e_scim;
mod fake_op;
mod first_login;
mod fixtures;
mod health;
mod hostile;
mod identity;
mod identity_attacks;
mod layout;
mod metadata;
mod namespaces;
mod oidc_client_key;
mod oidc_connections;
mod oidc_demo;
mod oidc_desktop;
mod oidc_flow;
mod oidc_mapping;
mod oidc_op;
mod oidc_oracle;
mod oidc_validation;
mod provisioning;
mod scim_cli;
mod scim_concurrency;
mod scim_demo;
mod scim_filter;
mod scim_http;
mod scim_lifecycle;
mod scim_patch;
mod scim_requests;
mod scim_secrets;
mod scim_store;
mod secrets;
mod server;
mod shell;
mod store;
mod validation;

/// The catalog's SQLite connection, for tests that look under the typed functions: the one
/// place outside `src/store/` that may ask for it.
#[allow(clippy::disallowed_methods)]
pub fn sql(store: &handshake::store::Store) -> &rusqlite::Connection {
    store.raw()
}

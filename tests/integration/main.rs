//! The one integration-test binary. A module per area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli;
mod demo;
mod desktop;
mod diagnosis;
mod e2e;
mod fixtures;
mod hostile;
mod identity;
mod identity_attacks;
mod metadata;
mod namespaces;
mod provisioning;
mod secrets;
mod server;
mod shell;
mod store;
mod validation;

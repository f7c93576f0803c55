//! Handshake core: everything the CLI and the desktop app do goes through this library.
//!
//! Data flows one way: metadata → connection → validated assertion → mapped profile →
//! provisioned user + audit row.

pub mod certs;
pub mod clock;
pub mod connection;
pub mod demo;
pub mod desktop;
pub mod directory;
pub mod error;
pub mod fault;
pub mod identity;
pub mod idp;
pub mod saml;
pub mod scim;
pub mod sensitive;
pub mod server;
pub mod sp;
pub mod xml;
pub mod xs_datetime;

pub use error::{Error, ErrorCode, Result};
pub mod login;
pub mod metadata;
pub mod oidc;
pub mod options;
pub mod provision;
pub mod secrets;
pub mod store;
pub mod validate;
pub mod vendor;
pub mod workbench;

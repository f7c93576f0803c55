//! The IdP side: building, signing and encrypting SAML Responses, and signing compact JWS
//! (ID tokens, client assertions) for OpenID Connect.
//!
//! Used by the committed fixture generator and by the built-in demo IdP, so test
//! fixtures and demos exercise one implementation.

pub mod encrypt;
pub mod jws;
pub mod response;
pub mod sign;

pub use encrypt::{DataEncryption, EncryptOptions, KeyTransport};
pub use response::{AttributeSpec, ResponseSpec, SamlStyle};
pub use sign::{SignatureAlgorithm, SigningKey};

//! Fetching an OP's discovery document and JWKS: http/https only, at most
//! [`MAX_REDIRECTS`] redirects, bounded in time and size, through the one bounded fetch
//! (`metadata::http::get_text`, whose body-capping loop every fetch shares). The token
//! and userinfo calls (`rp.rs`) use [`crate::metadata::http::read_capped`] and follow no
//! redirect at all.

use super::discovery::{self, Discovered, MAX_DISCOVERY_BYTES, MAX_JWKS_BYTES, PublicJwks, Typed};
use crate::metadata::http::{BoundedGet, FetchLimits, get_text};

/// Redirects a discovery or JWKS fetch may follow (a CDN or a trailing-slash redirect).
pub const MAX_REDIRECTS: usize = 3;
/// Time allowed for one fetch, answer and body included.
pub const OIDC_FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

fn get<'a>(what: &'a str, purpose: &'a str, max_bytes: usize) -> BoundedGet<'a> {
    BoundedGet {
        limits: FetchLimits { max_bytes, timeout: OIDC_FETCH_TIMEOUT },
        accept: "application/json, application/jwk-set+json;q=0.9, */*;q=0.1",
        what,
        purpose,
        max_redirects: MAX_REDIRECTS,
        redirect_rule: Some(endpoint_rule),
    }
}

/// Every hop keeps the endpoint rule (https, or http on a loopback host): a redirect to plain
/// http elsewhere would let anyone on the path swap the OP's keys or endpoints.
fn endpoint_rule(url: &url::Url) -> Result<(), String> {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let shown = format!("{}://{}{port}{}", url.scheme(), url.host_str().unwrap_or(""), url.path());
    discovery::check_endpoint("redirect", url.as_str())
        .map_err(|_| format!("{shown}, which is neither https nor http on a loopback host"))
}

/// Fetches the discovery document for what an admin typed (an issuer or its discovery URL);
/// the raw text, unchecked (see [`discovery::check`]).
pub async fn fetch_discovery_text(typed: &Typed) -> crate::Result<String> {
    get_text(&typed.discovery_url, &get("discovery document", "OpenID Connect discovery", MAX_DISCOVERY_BYTES)).await
}

/// Fetches and checks the discovery document for `typed`.
pub async fn fetch_discovery(typed: &Typed) -> crate::Result<Discovered> {
    let text = fetch_discovery_text(typed).await?;
    Ok(discovery::check(&text, typed)?)
}

/// Fetches a JWKS and checks that it holds public keys only; the raw text and its key ids.
pub async fn fetch_jwks(jwks_uri: &str) -> crate::Result<(String, PublicJwks)> {
    discovery::check_endpoint("jwks_uri", jwks_uri)?;
    let text = get_text(jwks_uri, &get("JWKS", "OpenID Connect JWKS", MAX_JWKS_BYTES)).await?;
    let keys = discovery::check_public_jwks(&text)?;
    Ok((text, keys))
}

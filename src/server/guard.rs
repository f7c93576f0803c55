//! Who may talk to the embedded server. It answers only requests addressed to its own
//! loopback authority (127.0.0.1, localhost or [::1] with the port it listens on), so a
//! DNS-rebinding page (attacker.example resolved to 127.0.0.1) reads nothing; and it acts
//! only on requests from its own pages (`Origin`, `Sec-Fetch-Site`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::refusal::Refusal;

/// The host names of the loopback server (compared without regard to case, as DNS names are).
const OWN_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// `authority` (`host[:port]`, as in `Host` or after `http://` in `Origin`) is this server:
/// one of its names and exactly `port` (no port means 80, as in a URL).
pub(crate) fn is_own_authority(authority: &str, port: u16) -> bool {
    let (host, given) = match authority.rsplit_once(':') {
        // The colon of "[::1]" alone is inside the brackets: no port there.
        Some((host, given)) if !given.contains(']') => (host, Some(given)),
        _ => (authority, None),
    };
    let given = match given {
        None => Some(80),
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse::<u16>().ok(),
        Some(_) => None,
    };
    given == Some(port) && OWN_HOSTS.iter().any(|own| own.eq_ignore_ascii_case(host))
}

/// A short plain answer that also ends the connection: nothing more to say to that client.
fn refuse(status: StatusCode, text: &'static str) -> Response {
    let mut r = (status, text).into_response();
    r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Why a request is not for this server, if it is not.
fn misdirected(headers: &HeaderMap, uri: &Uri, port: u16) -> Option<Response> {
    let mut hosts = headers.get_all(header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return Some(refuse(StatusCode::BAD_REQUEST, "400 Bad Request: exactly one Host header is required\n"));
    };
    let own = host.to_str().is_ok_and(|h| is_own_authority(h, port))
        // An absolute-form request line names its authority too.
        && uri.authority().is_none_or(|a| is_own_authority(a.as_str(), port));
    if own {
        None
    } else {
        Some(refuse(StatusCode::MISDIRECTED_REQUEST, "421 Misdirected Request: this is a loopback-only server\n"))
    }
}

/// Middleware: every route answers only its own loopback authority.
pub(crate) async fn only_own_host(State(port): State<u16>, request: Request, next: Next) -> Response {
    match misdirected(request.headers(), request.uri(), port) {
        Some(refusal) => refusal,
        None => next.run(request).await,
    }
}

/// Requests that act (sign a Response) must come from this server's own pages. A browser
/// names the page's origin in `Origin` and says whether it is this site in `Sec-Fetch-Site`;
/// either one naming another origin or site is a page elsewhere posting here. A client
/// that sends neither (not a browser: curl, the scenario driver) still needs the form's token.
pub(crate) fn same_origin(headers: &HeaderMap, port: u16) -> Result<(), Refusal> {
    let mut origins = headers.get_all(header::ORIGIN).iter();
    match (origins.next(), origins.next()) {
        (None, _) => {}
        (Some(origin), None)
            if origin
                .to_str()
                .ok()
                .and_then(|o| o.strip_prefix("http://"))
                .is_some_and(|authority| is_own_authority(authority, port)) => {}
        (Some(origin), _) => {
            let shown = origin.to_str().unwrap_or("(not text)");
            return Err(Refusal::forbidden(format!(
                "This request came from a page at {shown}, not from Handshake's own pages; the demo IdP signs \
                 only for its own sign-in forms."
            )));
        }
    }
    match headers.get("sec-fetch-site").map(HeaderValue::to_str) {
        None | Some(Ok("same-origin" | "none")) => Ok(()),
        Some(site) => Err(Refusal::forbidden(format!(
            "This request came from another site (Sec-Fetch-Site: {}); the demo IdP signs only for its own \
             sign-in forms.",
            site.unwrap_or("(not text)")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::is_own_authority;

    #[test]
    fn own_authority_is_a_loopback_name_and_exactly_our_port() {
        for own in ["127.0.0.1:7777", "localhost:7777", "LOCALHOST:7777", "[::1]:7777"] {
            assert!(is_own_authority(own, 7777), "{own}");
        }
        for other in [
            "attacker.example:7777",
            "127.0.0.1.attacker.example:7777",
            "localhost.:7777",
            "127.0.0.1:7778",
            "127.0.0.1",
            "127.0.0.1:",
            "127.0.0.1:+7777",
            "::1:7777",
            "[::1]",
            "127.0.0.1:7777/path",
            "user@127.0.0.1:7777",
            "",
        ] {
            assert!(!is_own_authority(other, 7777), "{other}");
        }
        assert!(is_own_authority("127.0.0.1", 80) && is_own_authority("[::1]", 80));
    }
}

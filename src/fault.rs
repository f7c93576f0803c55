//! Crash points for tests (feature `fault-injection`): `HANDSHAKE_FAULT=<point>` aborts the
//! process there, as a power loss would, so a test can check that a login commits whole or
//! not at all. Without the feature every point compiles to nothing.
//!
//! The points of one login, in the order its writes happen (all in one transaction):
//! `after_request_used` (the AuthnRequest marked answered), `after_user_write` (the account
//! created or updated), `after_audit_row`, `after_test_login_row` (just before the commit).

/// The crash points, in write order.
pub const POINTS: [&str; 4] = ["after_request_used", "after_user_write", "after_audit_row", "after_test_login_row"];

/// The crash points of a SCIM write (`workbench::scim`, one transaction): the account (and its
/// identity) written, the resource written (a Group's order is the other way round), the audit
/// row, and the request-log row (just before the commit).
pub const SCIM_POINTS: [&str; 4] =
    ["scim_after_user_write", "scim_after_resource_write", "scim_after_audit_row", "scim_after_request_log"];

#[cfg(feature = "fault-injection")]
pub fn point(name: &str) {
    if std::env::var("HANDSHAKE_FAULT").is_ok_and(|p| p == name) {
        std::process::abort();
    }
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn point(_name: &str) {}

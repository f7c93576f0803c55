//! The SCIM half of the scenario library: the demo IdP as a SCIM client pushing to the demo
//! connection (hybrid policy), interleaved with the person's sign-ins, each scenario ending at
//! its intended outcome. What each one does is data: [`acts`] lists its steps, which
//! `crate::demo::run` drives over HTTP (SCIM requests with the connection's token, the SAML
//! sign-in through the real endpoints) and `workbench::demo_scim` judges.

use serde::{Deserialize, Serialize};

use super::scenarios::{Flow, ScenarioId as S, ScenarioSpec, row};
use super::scim_client::Dialect;

const SCIM: Flow = Flow::Scim;

pub const SCIM_SCENARIOS: [ScenarioSpec; 5] = [
    row(
        S::ScimDeprovisionedLogin,
        "scim-deprovisioned-login",
        "SCIM: deactivated, then signs in",
        SCIM,
        Some("scim_deprovisioned"),
        "The IdP provisions the person by SCIM, she signs in (linked to that account), then the IdP deactivates her by SCIM (PATCH active=false). Her next sign-in still reaches Handshake (an IdP session that outlived the change) and is denied: the account is deactivated.",
    ),
    row(
        S::ScimJitConflict,
        "scim-jit-conflict",
        "SCIM: a login tries to recreate a deleted user",
        SCIM,
        Some("scim_deprovisioned"),
        "The IdP provisions the person by SCIM and deletes her (DELETE: a tombstone stays); an admin then deletes her account too. Her sign-in would have JIT create a new account: the tombstone denies it, and no account is created.",
    ),
    row(
        S::ScimClaimRollback,
        "scim-claim-rollback",
        "SCIM: stale login claims against SCIM-owned groups",
        SCIM,
        None,
        "The IdP provisions the person in sales by SCIM; she signs in; SCIM moves her from sales to engineering. Her next sign-in replays the IdP's stale claims (sales): the groups are owned by SCIM in hybrid, so they stay engineering, the trace says why, and the SCIM report lists the disagreement. With JIT alone the login would roll her back to sales.",
    ),
    row(
        S::ScimBadToken,
        "scim-bad-token",
        "SCIM: wrong token, then none",
        SCIM,
        None,
        "A SCIM client creates a user with a wrong bearer token, then with none: both get the same 401 SCIM error, and nothing is written (no user, no SCIM resource, no audit row, no request-log row).",
    ),
    row(
        S::ScimEntraQuirks,
        "scim-entra-quirks",
        "SCIM: Entra ID's payload shapes",
        SCIM,
        None,
        "The demo client replays what Entra ID sends: capitalised ops (\"Replace\"), the string boolean \"False\", a path-less PATCH whose keys are paths (with ?aadOptscim062020 on the URL), and member removal by a value list. Every request succeeds and the user's document ends as expected.",
    ),
];

/// One step of a SCIM scenario or of the hybrid story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    /// The IdP's SCIM client creates the person (exists-check first), then puts her in each of
    /// her groups (found by name, or created).
    Provision,
    /// The person signs in (SP-initiated, the happy path) through the real endpoints.
    SignIn,
    /// SCIM pushes the promotion: title and department, sales left for engineering and admins.
    Promote,
    /// SCIM moves the person from sales to engineering (the IdP's own directory is not changed:
    /// its next sign-in sends the stale groups).
    MoveToEngineering,
    /// SCIM deactivates the person (PATCH active=false, in the dialect's shape).
    Deactivate,
    /// SCIM deletes the person (DELETE /Users/{id}: a tombstone).
    Delete,
    /// An admin deletes the person's account in Handshake.
    AdminDeletesAccount,
    /// POST /Users with a wrong token, then with none.
    BadTokens,
    /// Entra ID's recorded shapes: create, legacy PATCHes, the flagged path-less PATCH, member
    /// removal by value list, deactivation by `"False"`.
    EntraReplays,
}

/// The steps of a SCIM scenario (empty for the others).
pub fn acts(id: S) -> &'static [Act] {
    use Act::*;
    match id {
        S::ScimDeprovisionedLogin => &[Provision, SignIn, Deactivate, SignIn],
        S::ScimJitConflict => &[Provision, Delete, AdminDeletesAccount, SignIn],
        S::ScimClaimRollback => &[Provision, SignIn, MoveToEngineering, SignIn],
        S::ScimBadToken => &[BadTokens],
        S::ScimEntraQuirks => &[EntraReplays],
        _ => &[],
    }
}

/// The SCIM client's shapes for a scenario: Entra's for `scim-entra-quirks`, else `default`
/// (the demo IdP style's).
pub fn dialect(id: S, default: Dialect) -> Dialect {
    if id == S::ScimEntraQuirks { Dialect::EntraLegacy } else { default }
}

/// The HTTP status every SCIM request of a scenario without a sign-in ends with.
pub fn scim_status(id: S) -> Option<u16> {
    match id {
        S::ScimBadToken => Some(401),
        S::ScimEntraQuirks => Some(200),
        _ => None,
    }
}

/// The group SCIM moves the person out of, and into, in `scim-claim-rollback`.
pub const ROLLBACK_FROM: &str = "sales";
pub const ROLLBACK_TO: &str = "engineering";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scim_scenario_has_steps_and_ends_where_the_issue_says() {
        for s in &SCIM_SCENARIOS {
            assert!(!acts(s.id).is_empty(), "{}", s.name);
            assert!(s.name.starts_with("scim-"));
            let ends_with_sign_in = acts(s.id).last() == Some(&Act::SignIn);
            assert_eq!(ends_with_sign_in, scim_status(s.id).is_none(), "{}", s.name);
        }
        assert_eq!(S::parse("scim-jit-conflict"), Some(S::ScimJitConflict));
    }
}

//! The SAML protocol adapter: judges a SAMLResponse for a connection (src/validate does the
//! checks) and hands the pipeline a [`Judgement`].

use super::{Judgement, ReplayKey, StoppedBy, VerifiedLogin};
use crate::connection::Connection;
use crate::provision::Claims;
use crate::validate::{CheckId, CheckStatus, Report};

/// What the replay cache keys SAML assertion IDs under.
pub const REPLAY_KIND: &str = "saml_assertion";

/// Turns a validation report into the protocol-neutral judgement.
pub fn judge(connection: &Connection, report: Report) -> Judgement {
    let claims = Claims { name_id: report.name_id.clone(), attributes: report.attributes.clone(), notes: Vec::new() };
    let login = report.accepted().then(|| VerifiedLogin {
        issuer: connection.idp.entity_id.clone(),
        claims: claims.clone(),
        replay: report
            .assertion_id
            .clone()
            .map(|id| ReplayKey {
                issuer: connection.idp.entity_id.clone(),
                kind: REPLAY_KIND,
                id,
                not_on_or_after: report.not_on_or_after,
            })
            .into_iter()
            .collect(),
    });
    Judgement {
        verdict: report.verdict,
        failure: report.error.as_ref().map(StoppedBy::from),
        authenticated: report.authenticated(),
        parsed: report.checks.iter().any(|c| c.id == CheckId::Parse && c.status == CheckStatus::Pass),
        checks: report.checks,
        claims,
        login,
        response_signed: report.response_signed,
        assertion_signed: report.assertion_signed,
        encrypted: report.encrypted,
        notes: report.notes,
        document: report.response_xml,
    }
}

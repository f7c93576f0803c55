//! The scenario library: every common way a SAML login goes wrong, produced on purpose by
//! the demo IdP. A data table says what each scenario is and what Handshake should answer;
//! [`apply`] is the one place that turns a scenario into changes to the Response. The
//! OpenID Connect scenarios (`oidc-*`, the demo OP's) are in `scenarios_oidc.rs`.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::scenarios_oidc::OIDC_SCENARIOS;
use super::scenarios_scim::{self, SCIM_SCENARIOS};
use super::styles::{DemoStyle, GROUPS_LINK};
use crate::idp::response::{NAMEID_PERSISTENT, NAMEID_TRANSIENT};
use crate::idp::{AttributeSpec, ResponseSpec, SignatureAlgorithm};
use crate::login::Stop;

/// Where a wrong Audience, Recipient or Destination points: the production SP, as happens
/// when the IdP app was configured for production and reused for the test.
pub const ELSEWHERE_ENTITY_ID: &str = "https://app.northwind.example/saml/metadata";
pub const ELSEWHERE_ACS_URL: &str = "https://app.northwind.example/saml/acs";
/// The Issuer of `wrong-issuer`: another IdP's entityID (same key, so only the Issuer is off).
pub const OTHER_IDP_ENTITY_ID: &str = "https://idp.northwind.example/saml2/idp";
/// Minutes the IdP's clock is ahead in `clock-skew` unless told otherwise.
pub const DEFAULT_SKEW_MINUTES: i64 = 5;
/// The connection's default clock-skew tolerance, which `clock-skew` is judged against.
const DEFAULT_TOLERANCE_SECONDS: i64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum ScenarioId {
    Happy,
    IdpInitiated,
    Encrypted,
    Unsigned,
    UnknownKey,
    Expired,
    ClockSkew,
    WrongAudience,
    WrongRecipient,
    WrongDestination,
    WrongIssuer,
    MissingEmail,
    DelimitedGroups,
    GroupOverage,
    TransientNameid,
    Sha1,
    Undecryptable,
    Replay,
    UnknownInResponseTo,
    IdpInitiatedRefused,
    OidcHappy,
    OidcWrongAudience,
    OidcExpired,
    OidcUnknownKid,
    OidcAlgNone,
    OidcHs256PublicKey,
    OidcNonceMismatch,
    OidcWrongIssuer,
    OidcMissingEmail,
    OidcEmailUnverified,
    OidcGroupOverage,
    OidcCodeReplay,
    ScimDeprovisionedLogin,
    ScimJitConflict,
    ScimClaimRollback,
    ScimBadToken,
    ScimEntraQuirks,
}

/// How the login starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Flow {
    /// Handshake's `/saml/{connection}/login` sends an AuthnRequest to the demo IdP.
    SpInitiated,
    /// The demo IdP posts an unsolicited Response (`/demo-idp/start`).
    IdpInitiated,
    /// OpenID Connect: Handshake's `/oidc/{connection}/login` sends the browser to the demo
    /// OP's authorization endpoint; the OP sends a code back to the callback.
    OidcCode,
    /// SCIM: the demo IdP's SCIM client pushes to the demo connection's `/scim/demo/v2`,
    /// between the person's sign-ins (`scenarios_scim.rs`).
    Scim,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum DemoVerdict {
    /// The login ended with a signed-in user.
    Accepted,
    Rejected,
}

/// What Handshake should answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Expected {
    pub verdict: DemoVerdict,
    /// The validation check or provisioning rule that should stop the login.
    pub failed_check: Option<Stop>,
    /// A SCIM scenario without a sign-in at the end: the HTTP status its SCIM requests get
    /// (401 for `scim-bad-token`; 200 for `scim-entra-quirks`, meaning any success).
    #[serde(default)]
    pub scim_status: Option<u16>,
}

impl Expected {
    /// A sign-in's intended verdict.
    pub fn login(verdict: DemoVerdict, failed_check: Option<Stop>) -> Self {
        Expected { verdict, failed_check, scim_status: None }
    }

    /// The intended outcome in the terms a result's summary starts with ("Rejected at the
    /// audience check", "Denied by the missing_attribute rule", "Signed in"), or for a SCIM
    /// scenario without a sign-in, its answer ("SCIM answers 401 Unauthorized").
    pub fn term(&self) -> String {
        match self.scim_status {
            Some(401) => "SCIM answers 401 Unauthorized, nothing written".into(),
            Some(_) => "SCIM accepts every request".into(),
            None => crate::login::summary::term(self.verdict == DemoVerdict::Accepted, self.failed_check),
        }
    }
}

/// One row of the library.
#[derive(Debug)]
pub struct ScenarioSpec {
    pub id: ScenarioId,
    pub name: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
    pub flow: Flow,
    /// The failed check with the default (Okta) style and the default policy; `None` when accepted.
    pub failed_check: Option<&'static str>,
}

pub(super) const fn row(
    id: ScenarioId,
    name: &'static str,
    title: &'static str,
    flow: Flow,
    failed_check: Option<&'static str>,
    explanation: &'static str,
) -> ScenarioSpec {
    ScenarioSpec { id, name, title, explanation, flow, failed_check }
}

use Flow::{IdpInitiated as Idp, SpInitiated as Sp};
use ScenarioId as S;

pub const SCENARIOS: [ScenarioSpec; 20] = [
    row(
        S::Happy,
        "happy",
        "Everything right",
        Sp,
        None,
        "SP-initiated login answered with a signed Response: the user is created or updated.",
    ),
    row(
        S::IdpInitiated,
        "idp-initiated",
        "IdP-initiated login",
        Idp,
        None,
        "The IdP posts an unsolicited Response (a tile in the IdP's portal); the connection allows it.",
    ),
    row(
        S::Encrypted,
        "encrypted",
        "Encrypted assertion",
        Sp,
        None,
        "The IdP encrypts the assertion to the SP certificate (RSA-OAEP + AES-256-GCM); Handshake decrypts it with the SP key.",
    ),
    row(
        S::Unsigned,
        "unsigned",
        "Unsigned response",
        Sp,
        Some("signature"),
        "Neither the Response nor the Assertion is signed: anyone could have written it.",
    ),
    row(
        S::UnknownKey,
        "unknown-key",
        "Signed with an unknown key",
        Sp,
        Some("signature"),
        "Signed by a key whose certificate is not in the IdP metadata (the IdP rolled its certificate, or a forgery).",
    ),
    row(
        S::Expired,
        "expired",
        "Expired assertion",
        Sp,
        Some("time_window"),
        "The assertion was issued 10 minutes ago and its Conditions ended 5 minutes ago, beyond the 2-minute clock skew.",
    ),
    row(
        S::ClockSkew,
        "clock-skew",
        "IdP clock ahead",
        Sp,
        Some("time_window"),
        "The IdP's clock runs N minutes ahead (5 by default): the assertion is not valid yet here.",
    ),
    row(
        S::WrongAudience,
        "wrong-audience",
        "Wrong Audience",
        Sp,
        Some("audience"),
        "The Audience is the production SP's entityID: the IdP app is configured for another SP.",
    ),
    row(
        S::WrongRecipient,
        "wrong-recipient",
        "Wrong Recipient",
        Sp,
        Some("subject_confirmation"),
        "SubjectConfirmationData Recipient names another ACS URL: the IdP has a stale Reply URL.",
    ),
    row(
        S::WrongDestination,
        "wrong-destination",
        "Wrong Destination",
        Sp,
        Some("destination"),
        "The Response's Destination is another ACS URL than the one it was posted to.",
    ),
    row(
        S::WrongIssuer,
        "wrong-issuer",
        "Wrong Issuer",
        Sp,
        Some("issuer"),
        "The Issuer is another IdP's entityID: the connection was imported from the wrong metadata.",
    ),
    row(
        S::MissingEmail,
        "missing-email",
        "Missing email",
        Sp,
        Some("missing_attribute"),
        "The IdP sends no email: the required email field stays empty and the login is denied, naming the claims that did arrive.",
    ),
    row(
        S::DelimitedGroups,
        "delimited-groups",
        "Groups as one string",
        Sp,
        None,
        "The groups arrive as one comma-separated value: the login works, but the user has one odd group, no role from groups, and the trace suggests a split transform.",
    ),
    row(
        S::GroupOverage,
        "group-overage",
        "Entra ID group overage",
        Sp,
        Some("group_overage"),
        "Too many groups for a token: a groups.link claim arrives instead of the groups, which Handshake refuses to read as \"no groups\".",
    ),
    row(
        S::TransientNameid,
        "transient-nameid",
        "Transient NameID",
        Sp,
        Some("transient_subject"),
        "The NameID is transient (new at every login): keyed by NameID, every login would be a new user. Entra's mapping keys by objectidentifier, so there it works.",
    ),
    row(
        S::Sha1,
        "sha1",
        "RSA-SHA1 signature",
        Sp,
        Some("algorithm"),
        "Signed with RSA-SHA1 and SHA-1 digests, which the connection refuses unless SHA-1 is allowed.",
    ),
    row(
        S::Undecryptable,
        "undecryptable",
        "Undecryptable assertion",
        Sp,
        Some("decrypt"),
        "The assertion is encrypted to a certificate that is not this SP's (an old SP certificate still at the IdP).",
    ),
    row(
        S::Replay,
        "replay",
        "Replayed response",
        Idp,
        Some("replay"),
        "The same Response is posted twice: the second is refused because its assertion was already used.",
    ),
    row(
        S::UnknownInResponseTo,
        "unknown-in-response-to",
        "Answer to an unknown request",
        Idp,
        Some("in_response_to"),
        "The Response claims to answer an AuthnRequest this SP never sent (or that another SP instance sent).",
    ),
    row(
        S::IdpInitiatedRefused,
        "idp-initiated-refused",
        "IdP-initiated, refused",
        Idp,
        Some("in_response_to"),
        "An unsolicited Response to a connection that refuses IdP-initiated logins (the demo-strict copy of the demo connection).",
    ),
];

/// Every scenario, SAML first, then OIDC, then SCIM, in declaration order.
pub fn all() -> impl Iterator<Item = &'static ScenarioSpec> {
    SCENARIOS.iter().chain(OIDC_SCENARIOS.iter()).chain(SCIM_SCENARIOS.iter())
}

impl ScenarioId {
    pub fn spec(self) -> &'static ScenarioSpec {
        // The tables list every variant in declaration order (checked by a test).
        all().find(|s| s.id == self).unwrap_or(&SCENARIOS[0])
    }

    /// An OpenID Connect scenario (the demo OP's, at the `demo-oidc` connection).
    pub fn is_oidc(self) -> bool {
        self.spec().flow == Flow::OidcCode
    }

    /// A SCIM scenario (the demo IdP's SCIM client, at the `demo` connection).
    pub fn is_scim(self) -> bool {
        self.spec().flow == Flow::Scim
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn parse(name: &str) -> Option<Self> {
        all().find(|s| s.name == name).map(|s| s.id)
    }

    pub fn names() -> Vec<&'static str> {
        all().map(|s| s.name).collect()
    }

    /// What Handshake should answer with this IdP style, when the IdP's clock is
    /// `skew_minutes` ahead for `clock-skew`. Only two scenarios depend on the style (no
    /// OIDC one: the demo OP has one style).
    pub fn expected(self, style: DemoStyle, skew_minutes: i64) -> Expected {
        let check = match (self, style) {
            // Google sends the email only as the NameID: without it nobody can be identified.
            (S::MissingEmail, DemoStyle::Google) => Some("missing_subject"),
            // Entra's preset keys users by objectidentifier, so a transient NameID is fine.
            (S::TransientNameid, DemoStyle::Entra) => None,
            (S::ClockSkew, _) if skew_minutes.abs() * 60 <= DEFAULT_TOLERANCE_SECONDS => None,
            _ => self.spec().failed_check,
        };
        let scim_status = scenarios_scim::scim_status(self);
        let verdict = match scim_status {
            Some(status) if !(200..300).contains(&status) => DemoVerdict::Rejected,
            _ if check.is_some() => DemoVerdict::Rejected,
            _ => DemoVerdict::Accepted,
        };
        Expected { verdict, failed_check: check.and_then(Stop::parse), scim_status }
    }
}

/// Which key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The demo IdP's own key, the one in its metadata.
    Own,
    /// A throwaway key nobody published.
    Unknown,
}

/// Whom the assertion is encrypted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    None,
    /// The SP certificate of the connection.
    ToSp,
    /// A throwaway certificate the SP has no key for.
    ToUnknown,
}

/// Everything the IdP is about to send, before signing.
#[derive(Debug, Clone)]
pub struct Plan {
    pub response: ResponseSpec,
    pub sign_response: bool,
    pub sign_assertion: bool,
    pub algorithm: SignatureAlgorithm,
    pub signer: Signer,
    pub encryption: Encryption,
}

/// Alters a correct login `plan` into the scenario. `fresh_id` gives a new random ID.
pub fn apply(id: ScenarioId, plan: &mut Plan, style: DemoStyle, skew_minutes: i64, fresh_id: &dyn Fn() -> String) {
    let r = &mut plan.response;
    match id {
        S::Happy | S::IdpInitiated | S::Replay | S::IdpInitiatedRefused => {}
        // The demo OP's scenarios never reach the SAML IdP (its sign-in refuses them).
        S::OidcHappy
        | S::OidcWrongAudience
        | S::OidcExpired
        | S::OidcUnknownKid
        | S::OidcAlgNone
        | S::OidcHs256PublicKey
        | S::OidcNonceMismatch
        | S::OidcWrongIssuer
        | S::OidcMissingEmail
        | S::OidcEmailUnverified
        | S::OidcGroupOverage
        | S::OidcCodeReplay => {}
        // A SCIM scenario's sign-ins are the happy path: the SCIM side makes the difference.
        S::ScimDeprovisionedLogin
        | S::ScimJitConflict
        | S::ScimClaimRollback
        | S::ScimBadToken
        | S::ScimEntraQuirks => {}
        S::Encrypted => plan.encryption = Encryption::ToSp,
        S::Unsigned => {
            plan.sign_response = false;
            plan.sign_assertion = false;
        }
        S::UnknownKey => plan.signer = Signer::Unknown,
        S::Expired => {
            // Only the Conditions ended, so exactly one check names the problem.
            r.issue_instant -= Duration::minutes(10);
            r.not_before = Some(r.issue_instant - Duration::seconds(30));
            r.not_on_or_after = Some(r.issue_instant + Duration::minutes(5));
        }
        S::ClockSkew => {
            let skew = Duration::minutes(skew_minutes);
            r.issue_instant += skew;
            r.not_before = r.not_before.map(|t| t + skew);
            r.not_on_or_after = r.not_on_or_after.map(|t| t + skew);
            r.subject_not_on_or_after = r.subject_not_on_or_after.map(|t| t + skew);
        }
        S::WrongAudience => r.audiences = vec![ELSEWHERE_ENTITY_ID.into()],
        S::WrongRecipient => r.recipient = Some(ELSEWHERE_ACS_URL.into()),
        S::WrongDestination => r.destination = Some(ELSEWHERE_ACS_URL.into()),
        S::WrongIssuer => {
            r.response_issuer = Some(OTHER_IDP_ENTITY_ID.into());
            r.assertion_issuer = OTHER_IDP_ENTITY_ID.into();
        }
        // No address anywhere: without the attribute, and with a NameID that is not in email
        // format (the default mapping would read an email-format NameID as the address).
        S::MissingEmail => match style.email_claim() {
            Some(claim) => {
                r.attributes.retain(|a| a.name != claim);
                r.name_id_format = NAMEID_PERSISTENT.into();
            }
            None => r.name_id.clear(),
        },
        S::DelimitedGroups => {
            let claim = style.groups_claim();
            for a in r.attributes.iter_mut().filter(|a| a.name == claim) {
                a.values = vec![a.values.join(",")];
            }
        }
        S::GroupOverage => {
            let claim = style.groups_claim();
            r.attributes.retain(|a| a.name != claim);
            let link = format!("https://graph.windows.net/8f3e2a10/users/{}/getMemberObjects", r.name_id);
            r.attributes.push(AttributeSpec::new(GROUPS_LINK, &[&link]));
        }
        S::TransientNameid => {
            r.name_id = fresh_id();
            r.name_id_format = NAMEID_TRANSIENT.into();
        }
        S::Sha1 => plan.algorithm = SignatureAlgorithm::RsaSha1,
        S::Undecryptable => plan.encryption = Encryption::ToUnknown,
        S::UnknownInResponseTo => {
            let never_sent = fresh_id();
            plan.response = plan.response.clone().solicited_by(&never_sent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_scenario_once_with_its_cli_name() {
        for (i, s) in all().enumerate() {
            assert_eq!(s.id.spec().name, s.name, "row {i}");
            assert_eq!(ScenarioId::parse(s.name), Some(s.id));
            let json = serde_json::to_string(&s.id).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", s.name), "serde name of row {i}");
            assert_eq!(s.id.is_oidc(), s.name.starts_with("oidc-"), "{}", s.name);
        }
        let mut names = ScenarioId::names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 37);
    }

    #[test]
    fn every_oidc_scenario_is_a_demo_op_twist_and_fails_where_the_issue_says() {
        let intended = [
            ("oidc-happy", None),
            ("oidc-wrong-audience", Some("audience")),
            ("oidc-expired", Some("time_window")),
            ("oidc-unknown-kid", Some("signature")),
            ("oidc-alg-none", Some("algorithm")),
            ("oidc-hs256-public-key", Some("algorithm")),
            ("oidc-nonce-mismatch", Some("nonce")),
            ("oidc-wrong-issuer", Some("issuer")),
            ("oidc-missing-email", Some("missing_attribute")),
            ("oidc-email-unverified", Some("email_unverified")),
            ("oidc-group-overage", Some("group_overage")),
            ("oidc-code-replay", Some("replay")),
        ];
        let oidc: Vec<&ScenarioSpec> = all().filter(|s| s.id.is_oidc()).collect();
        assert_eq!(oidc.len(), intended.len());
        for (spec, (name, check)) in oidc.iter().zip(intended) {
            assert_eq!(spec.name, name);
            assert!(super::super::op::twists_for(name).is_some(), "{name} has twists at the demo OP");
            let expected = spec.id.expected(DemoStyle::Entra, DEFAULT_SKEW_MINUTES);
            assert_eq!(expected.failed_check.map(|c| c.as_str()), check, "{name}");
            assert_eq!(expected.verdict == DemoVerdict::Accepted, check.is_none(), "{name}");
        }
    }
}

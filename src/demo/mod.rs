//! The built-in demo IdP and its scenario library: a SAML IdP served by the embedded
//! server (`/demo-idp/...`), with its own key pair (the key in the secret store, like every
//! secret), a small editable directory of personas, claim names in the style of a chosen
//! IdP, and scenarios that make it send each common failure on purpose.
//!
//! Its entityID is the constant [`DEMO_IDP_ENTITY_ID`], a URN: it names the IdP, not a place,
//! so it stays the same when the embedded server moves to another port. Only the SSO URL in
//! its metadata follows the port, and [`Workbench::create_demo`] re-imports the metadata
//! (same entityID, so `replace_metadata` accepts it) whenever that URL or the certificate changed.

pub mod idp;
pub mod op;
mod op_sessions;
mod op_twist;
pub mod personas;
pub mod run;
pub mod scenarios;
mod scenarios_oidc;
pub mod scenarios_scim;
pub mod scim_client;
pub mod scim_run;
pub mod story;
pub mod styles;

use serde::{Deserialize, Serialize};

use crate::certs::Certificate;
use crate::connection::{self};
use crate::provision::rules::{Op, RoleRule};
use crate::provision::{FieldRule, Lifecycle, LifecyclePolicy, MappingDocument, Source};

pub use personas::{ExtraAttribute, Persona};
pub use scenarios::{DemoVerdict, Expected, Flow, ScenarioId};
pub use story::{DemoStory, StoryMode, StoryStep};
pub use styles::DemoStyle;

/// The demo IdP's entityID: stable across ports and machines (see the module docs).
pub const DEMO_IDP_ENTITY_ID: &str = "urn:handshake:demo-idp";
/// The connection `create_demo` makes.
pub const DEMO_CONNECTION: &str = "demo";
/// A copy of the demo connection that refuses IdP-initiated logins, for
/// `idp-initiated-refused`: the user's own demo connection is never changed by a scenario.
pub const DEMO_STRICT_CONNECTION: &str = "demo-strict";
/// The OpenID Connect demo connection (to the demo OP), `create_oidc_demo` makes it.
pub const DEMO_OIDC_CONNECTION: &str = "demo-oidc";
/// `metadata_source` of the demo connections.
pub const METADATA_SOURCE: &str = "built-in demo IdP";

/// Which parts of the Response the demo IdP signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum SignMode {
    Response,
    Assertion,
    #[default]
    Both,
}

impl SignMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SignMode::Response => "response",
            SignMode::Assertion => "assertion",
            SignMode::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [SignMode::Response, SignMode::Assertion, SignMode::Both].into_iter().find(|m| m.as_str() == s)
    }
}

/// A sign-in at the demo IdP: from its persona picker (SP-initiated) or its start URL.
#[derive(Debug, Clone)]
pub struct SignInForm {
    pub connection: String,
    /// Email or persona id.
    pub persona: String,
    pub scenario: ScenarioId,
    /// The AuthnRequest answered (SP-initiated); `None` for IdP-initiated. The HTTP layer
    /// passes only an ID the demo IdP received for this connection (its form's token binds it).
    pub request_id: Option<String>,
    pub relay_state: Option<String>,
    pub skew_minutes: Option<i64>,
}

/// The auto-submitting form the IdP hands the browser.
#[derive(Debug, Clone)]
pub struct AutoPost {
    pub acs_url: String,
    pub saml_response: String,
    pub relay_state: Option<String>,
    /// The IdP refused to sign the person in (deactivated) and answers with an error status.
    pub denied: bool,
}

/// Where the demo IdP sends a Response for a connection, and who can sign in.
#[derive(Debug, Clone)]
pub struct DemoTarget {
    pub connection: String,
    pub sp_entity_id: String,
    pub acs_url: String,
    pub personas: Vec<Persona>,
}

impl DemoTarget {
    /// A persona by email or id.
    pub fn persona(&self, key: &str) -> Option<&Persona> {
        find_persona(&self.personas, key)
    }
}

/// An AuthnRequest the demo IdP accepted, waiting for a persona.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    pub request_id: String,
    pub target: DemoTarget,
}

/// What the Connections list says of a connection a scenario made for itself: `demo-strict`,
/// when it points at the demo IdP (someone's own connection of that name is not a helper).
pub fn helper_note(connection: &str, idp_entity_id: &str) -> Option<&'static str> {
    (connection == DEMO_STRICT_CONNECTION && idp_entity_id == DEMO_IDP_ENTITY_ID).then_some(
        "Demo helper: a copy of the demo connection that refuses IdP-initiated logins, made by the \
         idp-initiated-refused scenario. Its logins are scenario runs; resetting the demo data removes it.",
    )
}

/// A scenario made ready to drive over HTTP.
#[derive(Debug, Clone)]
pub struct PreparedScenario {
    pub scenario: ScenarioId,
    pub connection: String,
    pub persona: String,
    pub skew_minutes: i64,
    pub expected: Expected,
    /// The newest test login before the run: the run's own come after it, and are marked
    /// as demo runs (they do not count for the connection's health).
    pub after_test_login: i64,
    /// A SCIM scenario or hybrid story step: what the demo IdP's SCIM client does around
    /// the sign-ins (`None`: one sign-in).
    pub scim: Option<scim_run::ScimPlan>,
    /// The newest audit row before the run, and the catalog's row counts then (for the SCIM
    /// scenarios' checks: what the run wrote, and what it did not).
    pub after_audit: i64,
    pub counts_before: RowCounts,
}

/// Rows of the tables a SCIM request may write, for "nothing was written".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowCounts {
    pub users: i64,
    pub scim_resources: i64,
    pub audit_log: i64,
    pub scim_requests: i64,
}

/// The demo IdP's identity: its certificate (the key is in the secret store) and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoIdentity {
    pub certificate: Certificate,
    pub style: DemoStyle,
    pub sign: SignMode,
    pub encrypt: bool,
}

/// The demo IdP's metadata: entityID, signing certificate, HTTP-Redirect SSO at `base_url`.
pub fn metadata_xml(base_url: &str, certificate: &Certificate) -> String {
    let base = base_url.trim_end_matches('/');
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" ",
            "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{entity}\">\n",
            "  <md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" ",
            "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n",
            "    <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}",
            "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n",
            "    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n",
            "    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\n",
            "    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>\n",
            "    <md:SingleSignOnService Binding=\"{redirect}\" Location=\"{sso}\"/>\n",
            "  </md:IDPSSODescriptor>\n",
            "</md:EntityDescriptor>\n"
        ),
        entity = DEMO_IDP_ENTITY_ID,
        cert = certificate.der_base64,
        redirect = connection::BINDING_HTTP_REDIRECT,
        sso = crate::xml::escape(&format!("{base}/demo-idp/sso")),
    )
}

/// The demo connection's mapping: the style's preset, plus department and title, and role
/// rules that make the story visible (admins, engineers, contractors; everyone else a member).
/// Its lifecycle is hybrid (the demo IdP is its SCIM client too), SCIM Users matched to the
/// style's login subject; the JIT-only story switches it to `jit` while it runs.
pub fn demo_mapping(style: DemoStyle) -> MappingDocument {
    let mut doc = with_demo_roles(style.preset(), &style.department_claim(), &style.title_claim());
    doc.provisioning.lifecycle = demo_lifecycle(style, LifecyclePolicy::Hybrid);
    doc
}

/// The demo connection's lifecycle under `policy`: SCIM Users matched to the style's subject.
pub fn demo_lifecycle(style: DemoStyle, policy: LifecyclePolicy) -> Lifecycle {
    Lifecycle { policy, match_rule: style.scim_match_rule(), ..Lifecycle::default() }
}

/// The OIDC demo connection's mapping: the demo OP's preset (the standard claims, a verified
/// email required), plus department and title and the same role rules as the SAML demo.
pub fn demo_oidc_mapping() -> MappingDocument {
    let preset = crate::provision::presets::oidc_preset("demo").unwrap_or_else(crate::provision::presets::oidc_generic);
    let mut doc = with_demo_roles(preset, "department", "title");
    doc.access.require_email_verified = true;
    doc
}

fn with_demo_roles(mut doc: MappingDocument, department_claim: &str, title_claim: &str) -> MappingDocument {
    doc.fields.push(FieldRule::new("department", Source::attribute(department_claim)));
    doc.fields.push(FieldRule::new("title", Source::attribute(title_claim)));
    let rule = |field: &str, value: &str, grant: &str| RoleRule {
        source: Source::Field { name: field.into() },
        op: Op::Equals,
        value: value.into(),
        values: Vec::new(),
        case_insensitive: true,
        grant: grant.into(),
    };
    doc.roles.rules = vec![
        rule("groups", "admins", "admin"),
        rule("department", "Engineering", "developer"),
        rule("groups", "managers", "approver"),
        rule("groups", "contractors", "guest"),
    ];
    doc.roles.default_role = Some("member".into());
    doc
}

pub(crate) fn find_persona<'a>(personas: &'a [Persona], key: &str) -> Option<&'a Persona> {
    let key = key.trim();
    personas.iter().find(|p| p.id == key || p.email.eq_ignore_ascii_case(key))
}

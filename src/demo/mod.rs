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
pub mod personas;
pub mod run;
pub mod scenarios;
pub mod styles;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use crate::certs::Certificate;
use crate::connection::{self, SecurityPolicy};
use crate::error::{Error, ErrorCode, Result};
use crate::idp::SigningKey;
use crate::provision::rules::{Op, RoleRule};
use crate::provision::{self, FieldRule, MappingDocument, Source};
use crate::secrets;
use crate::sp;
use crate::store::format_time;
use crate::workbench::{ConnectionView, ImportRequest, Workbench};

pub use personas::{ExtraAttribute, Persona};
pub use scenarios::{DemoVerdict, Expected, Flow, ScenarioId};
pub use styles::DemoStyle;

/// The demo IdP's entityID: stable across ports and machines (see the module docs).
pub const DEMO_IDP_ENTITY_ID: &str = "urn:handshake:demo-idp";
/// The connection `create_demo` makes.
pub const DEMO_CONNECTION: &str = "demo";
/// A copy of the demo connection that refuses IdP-initiated logins, for
/// `idp-initiated-refused`: the user's own demo connection is never changed by a scenario.
pub const DEMO_STRICT_CONNECTION: &str = "demo-strict";
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

/// The demo IdP as the app shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoIdpView {
    pub entity_id: String,
    pub metadata_url: String,
    pub sso_url: String,
    pub certificate: Certificate,
    pub style: DemoStyle,
    pub style_label: String,
    pub sign: SignMode,
    pub encrypt: bool,
}

/// Settings of the demo IdP; `None` keeps the current value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoIdpSettings {
    pub style: Option<DemoStyle>,
    pub sign: Option<SignMode>,
    pub encrypt: Option<bool>,
}

/// What "Create demo connection" did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoSetup {
    pub idp: DemoIdpView,
    pub connection: ConnectionView,
    /// Where a browser starts an SP-initiated test login at the demo connection.
    pub login_url: String,
    /// The connection was created now (not reused).
    pub created: bool,
    /// A reused connection got the demo IdP's current metadata (new port or certificate).
    pub metadata_refreshed: bool,
}

/// One scenario as the app and `demo --list` show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScenarioInfo {
    pub name: String,
    pub title: String,
    pub explanation: String,
    pub flow: Flow,
    /// With the demo IdP's current style and the default clock skew.
    pub expected: Expected,
}

/// What `demo --list` prints.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoCatalog {
    pub style: DemoStyle,
    pub scenarios: Vec<ScenarioInfo>,
    pub personas: Vec<Persona>,
}

/// Run one scenario: which, as whom (email or persona id; default the first active persona).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScenarioRequest {
    pub scenario: ScenarioId,
    #[serde(default)]
    pub persona: Option<String>,
    /// For `clock-skew`: how far the IdP's clock is ahead (default 5 minutes).
    #[serde(default)]
    pub skew_minutes: Option<i64>,
}

/// How a scenario ended.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ScenarioResult {
    pub scenario: String,
    /// `accepted` only when the login ended with a signed-in user.
    pub verdict: DemoVerdict,
    /// The validation check or provisioning rule that stopped the login.
    pub failed_check: Option<String>,
    pub outcome: String,
    pub user: Option<provision::User>,
    pub expected: Expected,
    /// Verdict and failed check are the intended ones.
    pub as_expected: bool,
    pub persona: String,
    pub connection: String,
    /// The test login at the ACS (the last one, for `replay`).
    pub test_login_id: i64,
}

/// What "Reset demo data" removed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct DemoReset {
    pub users_removed: u32,
    pub test_logins_removed: u32,
    pub personas: u32,
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

/// A scenario made ready to drive over HTTP.
#[derive(Debug, Clone)]
pub struct PreparedScenario {
    pub scenario: ScenarioId,
    pub connection: String,
    pub persona: String,
    pub skew_minutes: i64,
    pub expected: Expected,
}

struct Identity {
    certificate: Certificate,
    style: DemoStyle,
    sign: SignMode,
    encrypt: bool,
}

fn storage(what: &str) -> Error {
    Error::new(ErrorCode::Storage, format!("the catalog holds an invalid demo IdP {what}"))
}

fn load_identity(conn: &rusqlite::Connection) -> Result<Option<Identity>> {
    let row: Option<(String, String, String, bool)> = conn
        .query_row("SELECT certificate, style, sign, encrypt FROM demo_idp WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((cert, style, sign, encrypt)) = row else {
        return Ok(None);
    };
    Ok(Some(Identity {
        certificate: Certificate::from_base64(&cert).map_err(|_| storage("certificate"))?,
        style: DemoStyle::parse(&style).ok_or_else(|| storage("style"))?,
        sign: SignMode::parse(&sign).ok_or_else(|| storage("signature setting"))?,
        encrypt,
    }))
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
pub fn demo_mapping(style: DemoStyle) -> MappingDocument {
    let mut doc = style.preset();
    doc.fields.push(FieldRule::new("department", Source::attribute(&style.department_claim())));
    doc.fields.push(FieldRule::new("title", Source::attribute(&style.title_claim())));
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

fn find_persona<'a>(personas: &'a [Persona], key: &str) -> Option<&'a Persona> {
    let key = key.trim();
    personas.iter().find(|p| p.id == key || p.email.eq_ignore_ascii_case(key))
}

impl Workbench {
    /// The demo IdP's identity, created on first use: a fresh key pair (the key to the secret
    /// store, the certificate to the catalog) and the default personas. A catalog whose key
    /// is missing from this secret store (another `--secret-store`) gets a new key pair.
    fn demo_identity(&self, now: DateTime<Utc>) -> Result<Identity> {
        let conn = self.store().raw();
        let existing = load_identity(conn)?;
        if let Some(id) = existing
            && self.secrets().get(secrets::demo_idp_key())?.is_some()
        {
            return Ok(id);
        }
        let pair = sp::generate_key_pair("Handshake demo IdP", now)?;
        self.secrets().set(secrets::demo_idp_key(), &pair.key_pem)?;
        let at = format_time(now);
        conn.execute(
            "INSERT INTO demo_idp (id, certificate, style, sign, encrypt, created_at, updated_at) \
             VALUES (1, ?1, ?2, ?3, 0, ?4, ?4) \
             ON CONFLICT(id) DO UPDATE SET certificate = excluded.certificate, updated_at = excluded.updated_at",
            params![pair.certificate.der_base64, DemoStyle::default().as_str(), SignMode::default().as_str(), at],
        )?;
        let empty: bool = conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM demo_personas)", [], |r| r.get(0))?;
        if empty {
            personas::restore_defaults(conn, now)?;
        }
        load_identity(conn)?.ok_or_else(|| Error::new(ErrorCode::Internal, "the demo IdP was not stored"))
    }

    fn demo_signing_key(&self, identity: &Identity) -> Result<SigningKey> {
        let pem = secrets::require(self.secrets().as_ref(), secrets::demo_idp_key(), "demo IdP signing key")?;
        SigningKey::from_pem(&pem, identity.certificate.pem().as_bytes())
    }

    fn demo_view(&self, identity: &Identity) -> DemoIdpView {
        let base = self.base_url().trim_end_matches('/');
        DemoIdpView {
            entity_id: DEMO_IDP_ENTITY_ID.into(),
            metadata_url: format!("{base}/demo-idp/metadata"),
            sso_url: format!("{base}/demo-idp/sso"),
            certificate: identity.certificate.clone(),
            style: identity.style,
            style_label: identity.style.label().into(),
            sign: identity.sign,
            encrypt: identity.encrypt,
        }
    }

    /// The demo IdP (created on first use).
    pub fn demo_idp(&self, now: DateTime<Utc>) -> Result<DemoIdpView> {
        Ok(self.demo_view(&self.demo_identity(now)?))
    }

    /// The demo IdP's metadata for the current port. Reading it creates nothing: before
    /// the demo exists it is "not found".
    pub fn demo_metadata(&self) -> Result<String> {
        let identity = load_identity(self.store().raw())?
            .ok_or_else(|| Error::not_found("there is no demo IdP yet; create the demo connection first"))?;
        Ok(metadata_xml(self.base_url(), &identity.certificate))
    }

    /// Changes the demo IdP's style, signatures or encryption. A new style also gives the
    /// demo connection that style's mapping.
    pub fn set_demo_idp(&self, settings: &DemoIdpSettings, now: DateTime<Utc>) -> Result<DemoIdpView> {
        let before = self.demo_identity(now)?;
        let style = settings.style.unwrap_or(before.style);
        let sign = settings.sign.unwrap_or(before.sign);
        let encrypt = settings.encrypt.unwrap_or(before.encrypt);
        self.store().raw().execute(
            "UPDATE demo_idp SET style = ?1, sign = ?2, encrypt = ?3, updated_at = ?4 WHERE id = 1",
            params![style.as_str(), sign.as_str(), encrypt, format_time(now)],
        )?;
        if style != before.style {
            for name in [DEMO_CONNECTION, DEMO_STRICT_CONNECTION] {
                if self.store().get_connection(name).is_ok() {
                    self.set_mapping(name, &demo_mapping(style), now)?;
                }
            }
        }
        self.demo_idp(now)
    }

    /// "Create demo connection": creates the demo IdP and the `demo` connection to it (the
    /// style's mapping and the demo role rules), or reuses them, refreshing the connection's
    /// metadata when the port or the certificate changed. `style` switches the IdP's style.
    pub fn create_demo(&self, style: Option<DemoStyle>, now: DateTime<Utc>) -> Result<DemoSetup> {
        let mut identity = self.demo_identity(now)?;
        if let Some(s) = style.filter(|s| *s != identity.style) {
            self.set_demo_idp(&DemoIdpSettings { style: Some(s), ..DemoIdpSettings::default() }, now)?;
            identity.style = s;
        }
        let xml = metadata_xml(self.base_url(), &identity.certificate);
        let (created, refreshed) = match self.store().get_connection(DEMO_CONNECTION) {
            Err(e) if e.code == ErrorCode::NotFound => {
                self.import_connection(
                    &ImportRequest {
                        name: DEMO_CONNECTION.into(),
                        metadata_xml: xml.clone(),
                        source: METADATA_SOURCE.into(),
                        ..ImportRequest::default()
                    },
                    now,
                )?;
                self.set_mapping(DEMO_CONNECTION, &demo_mapping(identity.style), now)?;
                (true, false)
            }
            Err(e) => return Err(e),
            Ok(c) if c.idp.entity_id != DEMO_IDP_ENTITY_ID => {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    format!(
                        "a connection named {DEMO_CONNECTION:?} already exists for another IdP ({}); rename or remove it first",
                        c.idp.entity_id
                    ),
                ));
            }
            Ok(c) => {
                let stale = c.metadata_xml != xml;
                if stale {
                    self.replace_metadata(DEMO_CONNECTION, &xml, METADATA_SOURCE, now)?;
                }
                (false, stale)
            }
        };
        if let Ok(strict) = self.store().get_connection(DEMO_STRICT_CONNECTION)
            && strict.idp.entity_id == DEMO_IDP_ENTITY_ID
            && strict.metadata_xml != xml
        {
            self.replace_metadata(DEMO_STRICT_CONNECTION, &xml, METADATA_SOURCE, now)?;
        }
        let connection = self.connection(DEMO_CONNECTION)?;
        let base = self.base_url().trim_end_matches('/');
        Ok(DemoSetup {
            idp: self.demo_view(&identity),
            login_url: format!("{base}/saml/{}/login", connection::url_segment(DEMO_CONNECTION)),
            connection,
            created,
            metadata_refreshed: refreshed,
        })
    }

    /// The `demo-strict` copy (refuses IdP-initiated logins), made on first need.
    fn ensure_demo_strict(&self, now: DateTime<Utc>) -> Result<()> {
        let strict = match self.store().get_connection(DEMO_STRICT_CONNECTION) {
            Ok(c) if c.idp.entity_id != DEMO_IDP_ENTITY_ID => {
                return Err(Error::new(
                    ErrorCode::AlreadyExists,
                    format!(
                        "a connection named {DEMO_STRICT_CONNECTION:?} exists for another IdP; rename or remove it"
                    ),
                ));
            }
            Ok(c) => c,
            Err(e) if e.code == ErrorCode::NotFound => {
                self.duplicate_connection(DEMO_CONNECTION, DEMO_STRICT_CONNECTION, now)?;
                self.store().get_connection(DEMO_STRICT_CONNECTION)?
            }
            Err(e) => return Err(e),
        };
        if strict.policy.allow_idp_initiated {
            self.set_policy(
                DEMO_STRICT_CONNECTION,
                SecurityPolicy { allow_idp_initiated: false, ..strict.policy.clone() },
                now,
            )?;
        }
        Ok(())
    }

    pub fn demo_personas(&self) -> Result<Vec<Persona>> {
        personas::list(self.store().raw())
    }

    /// Adds or edits a persona at the demo IdP (matched by `id`).
    pub fn set_demo_persona(&self, persona: &Persona, now: DateTime<Utc>) -> Result<Persona> {
        persona.check()?;
        personas::upsert(self.store().raw(), persona, now)?;
        let all = self.demo_personas()?;
        find_persona(&all, &persona.id)
            .cloned()
            .ok_or_else(|| Error::new(ErrorCode::Internal, "the persona was not stored"))
    }

    pub fn remove_demo_persona(&self, key: &str) -> Result<()> {
        let all = self.demo_personas()?;
        let p =
            find_persona(&all, key).ok_or_else(|| Error::not_found(format!("the demo IdP has no persona {key:?}")))?;
        personas::remove(self.store().raw(), &p.id)?;
        Ok(())
    }

    /// Deactivates (or reactivates) a person at the demo IdP: the IdP then refuses to sign
    /// them in. Handshake's account is untouched: JIT provisioning cannot de-provision.
    pub fn set_demo_persona_active(&self, key: &str, active: bool, now: DateTime<Utc>) -> Result<Persona> {
        let all = self.demo_personas()?;
        let p =
            find_persona(&all, key).ok_or_else(|| Error::not_found(format!("the demo IdP has no persona {key:?}")))?;
        self.set_demo_persona(&Persona { active, ..p.clone() }, now)
    }

    /// Resets the demo data: default personas and IdP settings (style and key stay), the
    /// demo connection's users, test logins and pending requests removed, its mapping and
    /// policy back to the demo defaults, and the `demo-strict` copy removed. The audit log
    /// is append-only and keeps its rows.
    pub fn reset_demo(&self, now: DateTime<Utc>) -> Result<DemoReset> {
        let identity = self.demo_identity(now)?;
        let conn = self.store().raw();
        let mut users_removed = 0u32;
        let mut test_logins_removed = 0u32;
        for name in [DEMO_CONNECTION, DEMO_STRICT_CONNECTION] {
            let Ok(c) = self.store().get_connection(name) else { continue };
            if c.idp.entity_id != DEMO_IDP_ENTITY_ID {
                continue; // someone's own connection of that name: not demo data
            }
            for u in self.users(Some(name))? {
                if self.delete_user(u.id).is_ok() {
                    users_removed += 1;
                }
            }
            let n = conn.execute("DELETE FROM test_logins WHERE connection_name = ?1", [name])?;
            test_logins_removed += u32::try_from(n).unwrap_or(u32::MAX);
            conn.execute("DELETE FROM authn_requests WHERE connection_id = ?1", [c.id])?;
        }
        if self.store().get_connection(DEMO_STRICT_CONNECTION).is_ok_and(|c| c.idp.entity_id == DEMO_IDP_ENTITY_ID) {
            self.remove_connection(DEMO_STRICT_CONNECTION)?;
        }
        if self.store().get_connection(DEMO_CONNECTION).is_ok_and(|c| c.idp.entity_id == DEMO_IDP_ENTITY_ID) {
            self.set_policy(DEMO_CONNECTION, SecurityPolicy::default(), now)?;
            self.set_mapping(DEMO_CONNECTION, &demo_mapping(identity.style), now)?;
        }
        conn.execute(
            "UPDATE demo_idp SET sign = ?1, encrypt = 0, updated_at = ?2 WHERE id = 1",
            params![SignMode::default().as_str(), format_time(now)],
        )?;
        personas::restore_defaults(conn, now)?;
        let personas = u32::try_from(self.demo_personas()?.len()).unwrap_or(u32::MAX);
        Ok(DemoReset { users_removed, test_logins_removed, personas })
    }

    /// The scenarios (expected outcomes for the current style) and the personas.
    pub fn demo_catalog(&self, now: DateTime<Utc>) -> Result<DemoCatalog> {
        let identity = self.demo_identity(now)?;
        let scenarios = scenarios::SCENARIOS
            .iter()
            .map(|s| ScenarioInfo {
                name: s.name.into(),
                title: s.title.into(),
                explanation: s.explanation.into(),
                flow: s.flow,
                expected: s.id.expected(identity.style, scenarios::DEFAULT_SKEW_MINUTES),
            })
            .collect();
        Ok(DemoCatalog { style: identity.style, scenarios, personas: self.demo_personas()? })
    }

    /// The demo IdP's SSO endpoint reading an AuthnRequest: it must come from a connection
    /// to the demo IdP, with that connection's ACS URL.
    pub fn demo_receive_request(&self, saml_request: &str) -> Result<PendingRequest> {
        let request = idp::read_redirect_request(saml_request)?;
        let connections = self.list_connections()?;
        let c = connections
            .iter()
            .find(|c| c.idp_entity_id == DEMO_IDP_ENTITY_ID && c.sp.entity_id == request.issuer)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "the AuthnRequest comes from SP {:?}, which has no connection to the demo IdP",
                    request.issuer
                ))
            })?;
        if let Some(acs) = request.acs_url.as_deref().filter(|acs| *acs != c.sp.acs_url) {
            return Err(Error::invalid(format!(
                "the AuthnRequest asks for ACS URL {acs:?}, but connection {} registers {:?}; the IdP sends responses only to registered ACS URLs",
                c.name, c.sp.acs_url
            )));
        }
        Ok(PendingRequest {
            request_id: request.id,
            target: DemoTarget {
                connection: c.name.clone(),
                sp_entity_id: c.sp.entity_id.clone(),
                acs_url: c.sp.acs_url.clone(),
                personas: self.demo_personas()?,
            },
        })
    }

    /// Where an IdP-initiated sign-in at the demo IdP would go: `connection` must use it.
    pub fn demo_target(&self, connection: &str) -> Result<DemoTarget> {
        let c = self.store().get_connection(connection)?;
        if c.idp.entity_id != DEMO_IDP_ENTITY_ID {
            return Err(Error::invalid(format!("connection {} does not use the demo IdP", c.name)));
        }
        let sp = c.sp.resolve(&c.name, self.base_url());
        Ok(DemoTarget {
            connection: c.name,
            sp_entity_id: sp.entity_id,
            acs_url: sp.acs_url,
            personas: self.demo_personas()?,
        })
    }

    /// The demo IdP signs a persona in (or, for a deactivated one, refuses with a signed
    /// RequestDenied): the Response to post to the connection's ACS.
    pub fn demo_sign_in(&self, form: &SignInForm, now: DateTime<Utc>) -> Result<AutoPost> {
        let c = self.store().get_connection(&form.connection)?;
        if c.idp.entity_id != DEMO_IDP_ENTITY_ID {
            return Err(Error::invalid(format!("connection {} does not use the demo IdP", c.name)));
        }
        let identity = self.demo_identity(now)?;
        let key = self.demo_signing_key(&identity)?;
        let all = self.demo_personas()?;
        let persona = find_persona(&all, &form.persona)
            .ok_or_else(|| Error::not_found(format!("the demo IdP has no persona {:?}", form.persona)))?;
        let sp = c.sp.resolve(&c.name, self.base_url());
        let sign_in = idp::SignIn {
            key: &key,
            idp_entity_id: DEMO_IDP_ENTITY_ID,
            style: identity.style,
            sign: identity.sign,
            encrypt: identity.encrypt,
            sp: idp::Audience {
                entity_id: &sp.entity_id,
                acs_url: &sp.acs_url,
                certificate: c.sp.certificate.as_ref(),
            },
            persona,
            scenario: form.scenario,
            in_response_to: form.request_id.as_deref(),
            skew_minutes: form.skew_minutes.unwrap_or(scenarios::DEFAULT_SKEW_MINUTES),
            now,
        };
        let (saml_response, denied) = if persona.active {
            (idp::issue(&sign_in)?, false)
        } else {
            (
                idp::issue_denied(
                    &sign_in,
                    &format!("The account {} is disabled at the identity provider", persona.email),
                )?,
                true,
            )
        };
        Ok(AutoPost { acs_url: sp.acs_url, saml_response, relay_state: form.relay_state.clone(), denied })
    }

    /// Everything a scenario needs before it is driven over HTTP: the demo connection (and
    /// `demo-strict` when needed) up to date for this port, and the persona chosen.
    pub fn prepare_scenario(&self, request: &ScenarioRequest, now: DateTime<Utc>) -> Result<PreparedScenario> {
        let setup = self.create_demo(None, now)?;
        let connection = if request.scenario == ScenarioId::IdpInitiatedRefused {
            self.ensure_demo_strict(now)?;
            DEMO_STRICT_CONNECTION
        } else {
            DEMO_CONNECTION
        };
        let all = self.demo_personas()?;
        let persona = match request.persona.as_deref() {
            Some(key) => find_persona(&all, key).ok_or_else(|| {
                Error::not_found(format!(
                    "the demo IdP has no persona {key:?}; personas: {}",
                    all.iter().map(|p| p.email.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })?,
            None => all
                .iter()
                .find(|p| p.active)
                .or_else(|| all.first())
                .ok_or_else(|| Error::not_found("the demo IdP has no personas; reset the demo data"))?,
        };
        let skew_minutes = request.skew_minutes.unwrap_or(scenarios::DEFAULT_SKEW_MINUTES);
        Ok(PreparedScenario {
            scenario: request.scenario,
            connection: connection.into(),
            persona: persona.email.clone(),
            skew_minutes,
            expected: request.scenario.expected(setup.idp.style, skew_minutes),
        })
    }

    /// The result of a driven scenario, read from its test login.
    pub fn scenario_result(&self, prepared: &PreparedScenario, test_login_id: i64) -> Result<ScenarioResult> {
        let t = self.test_login(test_login_id)?;
        let verdict = if t.report.outcome.signed_in() { DemoVerdict::Accepted } else { DemoVerdict::Rejected };
        let failed_check = t.report.failed_check.clone();
        let as_expected = verdict == prepared.expected.verdict && failed_check == prepared.expected.failed_check;
        Ok(ScenarioResult {
            scenario: prepared.scenario.name().into(),
            verdict,
            failed_check,
            outcome: t.report.outcome.as_str().into(),
            user: t.report.user.clone(),
            expected: prepared.expected.clone(),
            as_expected,
            persona: prepared.persona.clone(),
            connection: t.connection,
            test_login_id,
        })
    }
}

//! The demo IdP's protocol side: reads an HTTP-Redirect AuthnRequest and issues the
//! Response (signed, optionally encrypted, altered by a scenario) with `crate::idp`, the
//! same code that writes the committed test fixtures.

use std::io::Read as _;
use std::sync::OnceLock;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use samael::schema::AuthnRequest;

use super::SignMode;
use super::personas::Persona;
use super::scenarios::{self, Encryption, Plan, ScenarioId, Signer};
use super::styles::DemoStyle;
use crate::certs::Certificate;
use crate::error::{Error, Result};
use crate::idp::response::IssueOptions;
use crate::idp::sign::{sign_first_template, signature_template, to_post_form_value};
use crate::idp::{EncryptOptions, ResponseSpec, SignatureAlgorithm, SigningKey};
use crate::sp;

/// Largest inflated AuthnRequest read (a real one is about 1 KB; this stops deflate bombs).
const MAX_REQUEST_BYTES: u64 = 64 * 1024;

use crate::saml::{STATUS_REQUEST_DENIED, STATUS_RESPONDER, random_id};

/// What the demo IdP read from an AuthnRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    pub id: String,
    pub issuer: String,
    pub acs_url: Option<String>,
    pub issue_instant: DateTime<Utc>,
}

/// Inflates and parses the `SAMLRequest` of the HTTP-Redirect binding (base64 of raw DEFLATE).
pub fn read_redirect_request(saml_request: &str) -> Result<ReceivedRequest> {
    let compact: String = saml_request.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(Error::invalid("the SAMLRequest is empty"));
    }
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| Error::invalid("the SAMLRequest is not base64"))?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .take(MAX_REQUEST_BYTES)
        .read_to_string(&mut xml)
        .map_err(|_| Error::invalid("the SAMLRequest is not DEFLATE-compressed UTF-8 (HTTP-Redirect binding)"))?;
    if xml.contains("<!DOCTYPE") || xml.contains("<!doctype") {
        return Err(Error::invalid("the AuthnRequest has a DOCTYPE, which SAML forbids"));
    }
    let request: AuthnRequest =
        xml.parse().map_err(|e| Error::invalid(format!("the SAMLRequest is not an AuthnRequest: {e}")))?;
    if request.id.is_empty() {
        return Err(Error::invalid("the AuthnRequest has no ID"));
    }
    // The identifier rule (crate::identity): only XML whitespace around the value is formatting.
    let issuer = request.issuer.and_then(|i| i.value).map(|v| crate::identity::xml_trim(&v).to_owned());
    let issuer = issuer.filter(|v| !v.is_empty()).ok_or_else(|| {
        Error::invalid("the AuthnRequest has no Issuer, so the demo IdP cannot tell which SP sent it")
    })?;
    Ok(ReceivedRequest {
        id: request.id,
        issuer,
        acs_url: request.assertion_consumer_service_url,
        issue_instant: request.issue_instant,
    })
}

/// The SP a Response goes to.
#[derive(Debug, Clone)]
pub struct Audience<'a> {
    pub entity_id: &'a str,
    pub acs_url: &'a str,
    pub certificate: Option<&'a Certificate>,
}

/// Everything one sign-in at the demo IdP needs.
pub struct SignIn<'a> {
    pub key: &'a SigningKey,
    pub idp_entity_id: &'a str,
    pub style: DemoStyle,
    pub sign: SignMode,
    pub encrypt: bool,
    pub sp: Audience<'a>,
    pub persona: &'a Persona,
    pub scenario: ScenarioId,
    pub in_response_to: Option<&'a str>,
    pub skew_minutes: i64,
    pub now: DateTime<Utc>,
}

/// The key nobody published, for `unknown-key` (signer) and `undecryptable` (recipient).
static UNKNOWN_KEY: OnceLock<SigningKey> = OnceLock::new();

/// The unknown key, generated once per process on first use: an RSA key generation costs
/// tens of milliseconds of CPU, too much to spend on every request. Nobody trusts it, so it
/// is never stored; a new process gets a new one, which is just as unknown.
fn unknown_key(now: DateTime<Utc>) -> Result<&'static SigningKey> {
    if let Some(key) = UNKNOWN_KEY.get() {
        return Ok(key);
    }
    let pair = sp::generate_key_pair("Unknown signer (Handshake demo)", now)?;
    let key = SigningKey::from_pem(&pair.key_pem, pair.certificate.pem().as_bytes())?;
    // Two first uses at once: both generate, one key is kept for everyone.
    Ok(UNKNOWN_KEY.get_or_init(|| key))
}

/// The Response (base64, as posted) for a sign-in.
pub fn issue(s: &SignIn<'_>) -> Result<String> {
    let fresh = || random_id().unwrap_or_else(|_| "_demo".to_owned());
    let claims = s.style.claims(s.persona);
    let mut response = ResponseSpec::new(s.idp_entity_id, s.sp.entity_id, s.sp.acs_url, &claims.name_id, s.now);
    response.style = s.style.saml_style();
    response.response_id = random_id()?;
    response.assertion_id = random_id()?;
    response.session_index = Some(random_id()?);
    response.name_id_format = claims.name_id_format;
    response.attributes = claims.attributes;
    if let Some(request) = s.in_response_to {
        response = response.solicited_by(request);
    }
    let mut plan = Plan {
        response,
        sign_response: matches!(s.sign, SignMode::Response | SignMode::Both),
        sign_assertion: matches!(s.sign, SignMode::Assertion | SignMode::Both),
        algorithm: SignatureAlgorithm::RsaSha256,
        signer: Signer::Own,
        encryption: if s.encrypt { Encryption::ToSp } else { Encryption::None },
    };
    scenarios::apply(s.scenario, &mut plan, s.style, s.skew_minutes, &fresh);

    let unknown = match (plan.signer, plan.encryption) {
        (Signer::Unknown, _) | (_, Encryption::ToUnknown) => Some(unknown_key(s.now)?),
        _ => None,
    };
    let signer = match (plan.signer, &unknown) {
        (Signer::Unknown, Some(k)) => k,
        _ => s.key,
    };
    let recipient = match (plan.encryption, &unknown) {
        (Encryption::None, _) => None,
        (Encryption::ToUnknown, Some(k)) => Some(&k.certificate),
        (Encryption::ToUnknown, None) => None,
        (Encryption::ToSp, _) => Some(s.sp.certificate.ok_or_else(|| {
            Error::invalid("the connection has no SP certificate, so the demo IdP cannot encrypt to it")
        })?),
    };
    let options = IssueOptions {
        sign_assertion: plan.sign_assertion,
        sign_response: plan.sign_response,
        algorithm: plan.algorithm,
        encrypt_to: recipient.map(|c| (c, EncryptOptions::default())),
    };
    Ok(to_post_form_value(&plan.response.issue(signer, &options)?))
}

/// The signed error Response an IdP sends when it will not sign the person in
/// (deactivated account): Responder / RequestDenied, no assertion.
pub fn issue_denied(s: &SignIn<'_>, message: &str) -> Result<String> {
    let mut r = ResponseSpec::new(s.idp_entity_id, s.sp.entity_id, s.sp.acs_url, &s.persona.email, s.now);
    r.style = s.style.saml_style();
    r.response_id = random_id()?;
    r.status_code = STATUS_RESPONDER.into();
    r.status_sub_code = Some(STATUS_REQUEST_DENIED.into());
    r.status_message = Some(message.into());
    if let Some(request) = s.in_response_to {
        r = r.solicited_by(request);
    }
    let template = signature_template(&r.response_id, SignatureAlgorithm::RsaSha256, &s.key.certificate);
    let xml = sign_first_template(&r.response_xml("", Some(&template)), s.key)?;
    Ok(to_post_form_value(&xml))
}

//! Building SAML 2.0 Responses in the shapes real IdPs emit.

use chrono::{DateTime, SecondsFormat, Utc};

use super::encrypt::{EncryptOptions, encrypt_assertion};
use super::sign::{SignatureAlgorithm, SigningKey, sign_first_template, signature_template};
use crate::certs::Certificate;
use crate::error::Result;
use crate::xml::escape;

pub use crate::saml::{
    ATTRNAME_BASIC, ATTRNAME_UNSPECIFIED, ATTRNAME_URI, NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT,
    NAMEID_UNSPECIFIED, STATUS_SUCCESS,
};

/// Namespace prefixes, which differ per IdP (Okta `saml2p:`/`saml2:`, Entra and AD FS
/// a default-namespace `<Assertion>`, most others `samlp:`/`saml:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamlStyle {
    pub protocol_prefix: &'static str,
    /// `None`: the assertion uses the default namespace.
    pub assertion_prefix: Option<&'static str>,
    /// Fractional seconds in timestamps (Entra and AD FS send milliseconds or more).
    pub millis: bool,
}

impl SamlStyle {
    pub const GENERIC: SamlStyle =
        SamlStyle { protocol_prefix: "samlp", assertion_prefix: Some("saml"), millis: false };
    pub const OKTA: SamlStyle = SamlStyle { protocol_prefix: "saml2p", assertion_prefix: Some("saml2"), millis: true };
    pub const MICROSOFT: SamlStyle = SamlStyle { protocol_prefix: "samlp", assertion_prefix: None, millis: true };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeSpec {
    pub name: String,
    pub name_format: Option<String>,
    pub friendly_name: Option<String>,
    pub values: Vec<String>,
}

impl AttributeSpec {
    pub fn new(name: &str, values: &[&str]) -> Self {
        AttributeSpec {
            name: name.to_owned(),
            name_format: None,
            friendly_name: None,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }
    pub fn with_format(mut self, format: &str) -> Self {
        self.name_format = Some(format.to_owned());
        self
    }
    pub fn with_friendly_name(mut self, friendly: &str) -> Self {
        self.friendly_name = Some(friendly.to_owned());
        self
    }
}

/// Everything a Response says. Build one, adjust fields, then [`ResponseSpec::issue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseSpec {
    pub style: SamlStyle,
    pub response_id: String,
    pub assertion_id: String,
    pub issue_instant: DateTime<Utc>,
    pub response_issuer: Option<String>,
    pub assertion_issuer: String,
    pub destination: Option<String>,
    pub in_response_to: Option<String>,
    pub status_code: String,
    pub status_sub_code: Option<String>,
    pub status_message: Option<String>,
    pub name_id: String,
    pub name_id_format: String,
    /// An `EncryptedID` element sent instead of the NameID (see [`ResponseSpec::name_id_xml`]
    /// and [`super::encrypt::encrypt_name_id`]).
    pub encrypted_id: Option<String>,
    pub subject_confirmation_method: String,
    pub recipient: Option<String>,
    pub subject_in_response_to: Option<String>,
    pub subject_not_on_or_after: Option<DateTime<Utc>>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_on_or_after: Option<DateTime<Utc>>,
    /// One AudienceRestriction with these audiences (none when empty).
    pub audiences: Vec<String>,
    pub session_index: Option<String>,
    pub authn_context_class: String,
    pub attributes: Vec<AttributeSpec>,
}

/// How to protect the assertion and the response.
#[derive(Debug, Clone)]
pub struct IssueOptions<'a> {
    pub sign_assertion: bool,
    pub sign_response: bool,
    pub algorithm: SignatureAlgorithm,
    /// Encrypt the (signed) assertion to this SP certificate.
    pub encrypt_to: Option<(&'a Certificate, EncryptOptions)>,
}

impl ResponseSpec {
    /// A successful login for `name_id`, valid for five minutes from `issued`.
    pub fn new(idp_entity_id: &str, sp_entity_id: &str, acs_url: &str, name_id: &str, issued: DateTime<Utc>) -> Self {
        let five = chrono::Duration::minutes(5);
        ResponseSpec {
            style: SamlStyle::GENERIC,
            response_id: "_r0000000000000000000000000000001".into(),
            assertion_id: "_a0000000000000000000000000000001".into(),
            issue_instant: issued,
            response_issuer: Some(idp_entity_id.into()),
            assertion_issuer: idp_entity_id.into(),
            destination: Some(acs_url.into()),
            in_response_to: None,
            status_code: STATUS_SUCCESS.into(),
            status_sub_code: None,
            status_message: None,
            name_id: name_id.into(),
            name_id_format: NAMEID_EMAIL.into(),
            encrypted_id: None,
            subject_confirmation_method: "urn:oasis:names:tc:SAML:2.0:cm:bearer".into(),
            recipient: Some(acs_url.into()),
            subject_in_response_to: None,
            subject_not_on_or_after: Some(issued + five),
            not_before: Some(issued - chrono::Duration::seconds(30)),
            not_on_or_after: Some(issued + five),
            audiences: vec![sp_entity_id.into()],
            session_index: Some("_s0000000000000000000000000000001".into()),
            authn_context_class: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport".into(),
            attributes: Vec::new(),
        }
    }

    /// Both InResponseTo values (Response and SubjectConfirmationData) at once.
    pub fn solicited_by(mut self, request_id: &str) -> Self {
        self.in_response_to = Some(request_id.into());
        self.subject_in_response_to = Some(request_id.into());
        self
    }

    fn time(&self, t: DateTime<Utc>) -> String {
        t.to_rfc3339_opts(if self.style.millis { SecondsFormat::Millis } else { SecondsFormat::Secs }, true)
    }

    fn a(&self, local: &str) -> String {
        match self.style.assertion_prefix {
            Some(p) => format!("{p}:{local}"),
            None => local.to_owned(),
        }
    }

    fn assertion_ns_decl(&self) -> String {
        match self.style.assertion_prefix {
            Some(p) => format!(r#"xmlns:{p}="urn:oasis:names:tc:SAML:2.0:assertion""#),
            None => r#"xmlns="urn:oasis:names:tc:SAML:2.0:assertion""#.to_owned(),
        }
    }

    /// The NameID element on its own, namespace declaration included: what an IdP encrypts
    /// into an EncryptedID.
    pub fn name_id_xml(&self) -> String {
        format!(
            r#"<{t} {ns} Format="{f}">{v}</{t}>"#,
            t = self.a("NameID"),
            ns = self.assertion_ns_decl(),
            f = escape(&self.name_id_format),
            v = escape(&self.name_id)
        )
    }

    /// The `Assertion` element; `signature` (a template) goes right after the Issuer.
    pub fn assertion_xml(&self, signature: Option<&str>) -> String {
        let mut x = String::with_capacity(4096);
        x.push_str(&format!(
            r#"<{tag} {ns} xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{id}" IssueInstant="{at}" Version="2.0">"#,
            tag = self.a("Assertion"),
            ns = self.assertion_ns_decl(),
            id = escape(&self.assertion_id),
            at = self.time(self.issue_instant),
        ));
        x.push_str(&format!("<{t}>{v}</{t}>", t = self.a("Issuer"), v = escape(&self.assertion_issuer)));
        if let Some(sig) = signature {
            x.push_str(sig);
        }
        // Subject
        x.push_str(&format!("<{}>", self.a("Subject")));
        match &self.encrypted_id {
            Some(encrypted) => x.push_str(encrypted),
            None => x.push_str(&format!(
                r#"<{t} Format="{f}">{v}</{t}>"#,
                t = self.a("NameID"),
                f = escape(&self.name_id_format),
                v = escape(&self.name_id)
            )),
        }
        x.push_str(&format!(
            r#"<{} Method="{}">"#,
            self.a("SubjectConfirmation"),
            escape(&self.subject_confirmation_method)
        ));
        let mut scd = format!("<{}", self.a("SubjectConfirmationData"));
        if let Some(irt) = &self.subject_in_response_to {
            scd.push_str(&format!(r#" InResponseTo="{}""#, escape(irt)));
        }
        if let Some(t) = self.subject_not_on_or_after {
            scd.push_str(&format!(r#" NotOnOrAfter="{}""#, self.time(t)));
        }
        if let Some(r) = &self.recipient {
            scd.push_str(&format!(r#" Recipient="{}""#, escape(r)));
        }
        scd.push_str("/>");
        x.push_str(&scd);
        x.push_str(&format!("</{}></{}>", self.a("SubjectConfirmation"), self.a("Subject")));
        // Conditions
        let mut cond = format!("<{}", self.a("Conditions"));
        if let Some(t) = self.not_before {
            cond.push_str(&format!(r#" NotBefore="{}""#, self.time(t)));
        }
        if let Some(t) = self.not_on_or_after {
            cond.push_str(&format!(r#" NotOnOrAfter="{}""#, self.time(t)));
        }
        cond.push('>');
        x.push_str(&cond);
        if !self.audiences.is_empty() {
            x.push_str(&format!("<{}>", self.a("AudienceRestriction")));
            for aud in &self.audiences {
                x.push_str(&format!("<{t}>{v}</{t}>", t = self.a("Audience"), v = escape(aud)));
            }
            x.push_str(&format!("</{}>", self.a("AudienceRestriction")));
        }
        x.push_str(&format!("</{}>", self.a("Conditions")));
        // AuthnStatement
        let mut authn = format!(r#"<{} AuthnInstant="{}""#, self.a("AuthnStatement"), self.time(self.issue_instant));
        if let Some(s) = &self.session_index {
            authn.push_str(&format!(r#" SessionIndex="{}""#, escape(s)));
        }
        authn.push('>');
        x.push_str(&authn);
        x.push_str(&format!(
            "<{ctx}><{cls}>{v}</{cls}></{ctx}>",
            ctx = self.a("AuthnContext"),
            cls = self.a("AuthnContextClassRef"),
            v = escape(&self.authn_context_class)
        ));
        x.push_str(&format!("</{}>", self.a("AuthnStatement")));
        // Attributes
        if !self.attributes.is_empty() {
            x.push_str(&format!("<{}>", self.a("AttributeStatement")));
            for attr in &self.attributes {
                let mut open = format!(r#"<{} Name="{}""#, self.a("Attribute"), escape(&attr.name));
                if let Some(f) = &attr.name_format {
                    open.push_str(&format!(r#" NameFormat="{}""#, escape(f)));
                }
                if let Some(f) = &attr.friendly_name {
                    open.push_str(&format!(r#" FriendlyName="{}""#, escape(f)));
                }
                open.push('>');
                x.push_str(&open);
                for v in &attr.values {
                    x.push_str(&format!(
                        r#"<{t} xsi:type="xs:string">{v}</{t}>"#,
                        t = self.a("AttributeValue"),
                        v = escape(v)
                    ));
                }
                x.push_str(&format!("</{}>", self.a("Attribute")));
            }
            x.push_str(&format!("</{}>", self.a("AttributeStatement")));
        }
        x.push_str(&format!("</{}>", self.a("Assertion")));
        x
    }

    /// The `Response` element around `assertion` (an Assertion or EncryptedAssertion element).
    pub fn response_xml(&self, assertion: &str, signature: Option<&str>) -> String {
        let p = self.style.protocol_prefix;
        let mut x = String::with_capacity(assertion.len() + 2048);
        x.push_str(&format!(r#"<{p}:Response xmlns:{p}="urn:oasis:names:tc:SAML:2.0:protocol""#));
        if let Some(d) = &self.destination {
            x.push_str(&format!(r#" Destination="{}""#, escape(d)));
        }
        x.push_str(&format!(r#" ID="{}""#, escape(&self.response_id)));
        if let Some(irt) = &self.in_response_to {
            x.push_str(&format!(r#" InResponseTo="{}""#, escape(irt)));
        }
        x.push_str(&format!(r#" IssueInstant="{}" Version="2.0">"#, self.time(self.issue_instant)));
        if let Some(issuer) = &self.response_issuer {
            x.push_str(&format!(
                r#"<{t} {ns}>{v}</{t}>"#,
                t = self.a("Issuer"),
                ns = self.assertion_ns_decl(),
                v = escape(issuer)
            ));
        }
        if let Some(sig) = signature {
            x.push_str(sig);
        }
        x.push_str(&format!(r#"<{p}:Status><{p}:StatusCode Value="{}""#, escape(&self.status_code)));
        match &self.status_sub_code {
            Some(sub) => x.push_str(&format!(r#"><{p}:StatusCode Value="{}"/></{p}:StatusCode>"#, escape(sub))),
            None => x.push_str("/>"),
        }
        if let Some(m) = &self.status_message {
            x.push_str(&format!("<{p}:StatusMessage>{}</{p}:StatusMessage>", escape(m)));
        }
        x.push_str(&format!("</{p}:Status>"));
        x.push_str(assertion);
        x.push_str(&format!("</{p}:Response>"));
        x
    }

    /// The finished Response document: assertion signed and/or encrypted, response signed,
    /// as `options` says.
    pub fn issue(&self, key: &SigningKey, options: &IssueOptions<'_>) -> Result<String> {
        let assertion = if options.sign_assertion {
            let template = signature_template(&self.assertion_id, options.algorithm, &key.certificate);
            sign_first_template(&self.assertion_xml(Some(&template)), key)?
        } else {
            self.assertion_xml(None)
        };
        let assertion = match &options.encrypt_to {
            Some((cert, enc)) => encrypt_assertion(&assertion, cert, *enc, self.style.assertion_prefix)?,
            None => assertion,
        };
        if options.sign_response {
            let template = signature_template(&self.response_id, options.algorithm, &key.certificate);
            sign_first_template(&self.response_xml(&assertion, Some(&template)), key)
        } else {
            Ok(self.response_xml(&assertion, None))
        }
    }
}

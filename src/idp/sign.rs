//! Enveloped XML signatures (exclusive C14N), made by xmlsec through samael.

use base64::Engine as _;
use openssl::pkey::{PKey, Private};
use samael::crypto::{CryptoProvider, XmlSec};

use crate::certs::Certificate;
use crate::error::{Error, ErrorCode, Result};
use crate::sensitive::Sensitive;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    RsaSha1,
    RsaSha256,
    RsaSha384,
    RsaSha512,
    EcdsaSha256,
}

impl SignatureAlgorithm {
    pub fn uri(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            SignatureAlgorithm::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            SignatureAlgorithm::RsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
            SignatureAlgorithm::RsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            SignatureAlgorithm::EcdsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        }
    }

    pub fn digest_uri(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
            SignatureAlgorithm::RsaSha256 | SignatureAlgorithm::EcdsaSha256 => {
                "http://www.w3.org/2001/04/xmlenc#sha256"
            }
            SignatureAlgorithm::RsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#sha384",
            SignatureAlgorithm::RsaSha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
        }
    }
}

/// A private key with its certificate, ready to sign.
pub struct SigningKey {
    key: Sensitive<PKey<Private>>,
    pub certificate: Certificate,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("key", &self.key).field("certificate", &self.certificate.subject).finish()
    }
}

impl SigningKey {
    pub fn from_pem(key_pem: &Sensitive<Vec<u8>>, cert_pem: &[u8]) -> Result<Self> {
        let key = PKey::private_key_from_pem(key_pem.expose())
            .map_err(|_| Error::invalid("the private key is not a valid PEM private key"))?;
        let certificate = Certificate::from_pem(cert_pem).map_err(|e| Error::invalid(e.to_string()))?;
        Ok(SigningKey { key: Sensitive::new(key), certificate })
    }

    pub fn private_key(&self) -> &PKey<Private> {
        self.key.expose()
    }

    /// The algorithm this key signs with by default.
    pub fn default_algorithm(&self) -> SignatureAlgorithm {
        if self.key.expose().ec_key().is_ok() { SignatureAlgorithm::EcdsaSha256 } else { SignatureAlgorithm::RsaSha256 }
    }
}

/// The `ds:Signature` template for the element with `id`. xmlsec fills in the digest and the
/// signature value; KeyInfo carries the signer's certificate as IdPs do (the SP must ignore it).
pub fn signature_template(id: &str, algorithm: SignatureAlgorithm, certificate: &Certificate) -> String {
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
            r#"<ds:SignatureMethod Algorithm="{alg}"/>"#,
            r##"<ds:Reference URI="#{id}"><ds:Transforms>"##,
            r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
            r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
            r#"</ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue>"#,
            r#"</ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>"#,
            r#"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"#,
            r#"</ds:Signature>"#
        ),
        alg = algorithm.uri(),
        id = crate::xml::escape(id),
        digest = algorithm.digest_uri(),
        cert = certificate.der_base64,
    )
}

/// Signs the first signature template in `xml` (depth first), returning the signed document
/// without an XML declaration so it can be embedded in a larger one.
pub fn sign_first_template(xml: &str, key: &SigningKey) -> Result<String> {
    let der = key
        .key
        .expose()
        .private_key_to_pkcs8()
        .map_err(|_| Error::new(ErrorCode::Internal, "the signing key could not be encoded"))?;
    let der = Sensitive::new(der);
    let signed = XmlSec::sign_xml(xml.as_bytes(), der.expose())
        .map_err(|e| Error::new(ErrorCode::Internal, format!("xmlsec could not sign: {e}")))?;
    Ok(strip_xml_declaration(&signed).to_owned())
}

fn strip_xml_declaration(xml: &str) -> &str {
    let trimmed = xml.trim_start();
    if trimmed.starts_with("<?xml")
        && let Some(end) = trimmed.find("?>")
    {
        return trimmed.get(end + 2..).unwrap_or_default().trim_start();
    }
    trimmed
}

/// Base64 of the document as a form POST carries it.
pub fn to_post_form_value(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml.as_bytes())
}

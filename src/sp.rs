//! The SP side of a connection: its key pair and the SP metadata an admin uploads to the IdP.

use chrono::{DateTime, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};
use samael::key_info::{KeyInfo, X509Data};
use samael::metadata::{EncryptionMethod, EntityDescriptor, IndexedEndpoint, KeyDescriptor, SpSsoDescriptor};
use samael::traits::ToXml;

use crate::certs::Certificate;
use crate::connection::{BINDING_HTTP_POST, SpEndpoints};
use crate::error::{Error, ErrorCode, Result};
use crate::sensitive::Sensitive;

/// What the SP decrypts. Listed in SP metadata so the IdP picks one Handshake supports.
pub const SUPPORTED_ENCRYPTION: [&str; 8] = [
    "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "http://www.w3.org/2009/xmlenc11#aes192-gcm",
    "http://www.w3.org/2001/04/xmlenc#aes192-cbc",
    "http://www.w3.org/2009/xmlenc11#rsa-oaep",
    "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
];

/// The SP's private key (PEM, PKCS#8) and its certificate.
pub struct SpKeyPair {
    pub key_pem: Sensitive<Vec<u8>>,
    pub certificate: Certificate,
}

fn crypto_error(what: &str) -> impl FnOnce(openssl::error::ErrorStack) -> Error + '_ {
    move |e| Error::new(ErrorCode::Internal, format!("{what}: {e}"))
}

/// A fresh RSA-2048 key and a self-signed certificate valid for ten years from `now`.
pub fn generate_key_pair(common_name: &str, now: DateTime<Utc>) -> Result<SpKeyPair> {
    let key = PKey::from_rsa(Rsa::generate(2048).map_err(crypto_error("RSA key generation"))?)
        .map_err(crypto_error("RSA key"))?;
    let mut name = X509NameBuilder::new().map_err(crypto_error("certificate name"))?;
    let cn: String = common_name.chars().take(64).collect();
    name.append_entry_by_nid(Nid::COMMONNAME, &cn).map_err(crypto_error("certificate name"))?;
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "Handshake SP").map_err(crypto_error("certificate name"))?;
    let name = name.build();
    let mut serial = BigNum::new().map_err(crypto_error("serial"))?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false).map_err(crypto_error("serial"))?;
    let start = now.timestamp() - 3600; // an hour early: tolerate IdP clock skew
    let end = now.timestamp() + 10 * 365 * 86_400;
    let mut b = X509::builder().map_err(crypto_error("certificate"))?;
    b.set_version(2).map_err(crypto_error("certificate"))?;
    let serial = serial.to_asn1_integer().map_err(crypto_error("serial"))?;
    b.set_serial_number(&serial).map_err(crypto_error("serial"))?;
    b.set_subject_name(&name).map_err(crypto_error("certificate"))?;
    b.set_issuer_name(&name).map_err(crypto_error("certificate"))?;
    b.set_pubkey(&key).map_err(crypto_error("certificate"))?;
    let (start, end) = (
        Asn1Time::from_unix(start).map_err(crypto_error("validity"))?,
        Asn1Time::from_unix(end).map_err(crypto_error("validity"))?,
    );
    b.set_not_before(&start).map_err(crypto_error("validity"))?;
    b.set_not_after(&end).map_err(crypto_error("validity"))?;
    b.sign(&key, MessageDigest::sha256()).map_err(crypto_error("certificate signature"))?;
    let der = b.build().to_der().map_err(crypto_error("certificate"))?;
    Ok(SpKeyPair {
        key_pem: Sensitive::new(key.private_key_to_pem_pkcs8().map_err(crypto_error("key encoding"))?),
        certificate: Certificate::from_der(&der).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?,
    })
}

/// Checks an imported PEM key and certificate: both parse, and the key belongs to the certificate.
pub fn import_key_pair(key_pem: Sensitive<Vec<u8>>, cert_pem: &[u8]) -> Result<SpKeyPair> {
    let key = parse_private_key(&key_pem)?;
    if key.rsa().is_err() {
        return Err(Error::invalid("the SP key must be an RSA key (assertion encryption uses RSA-OAEP)"));
    }
    let cert = X509::from_pem(cert_pem).map_err(|_| Error::invalid("the certificate file is not a PEM certificate"))?;
    let cert_key = cert.public_key().map_err(|_| Error::invalid("the certificate's public key is unreadable"))?;
    if !key.public_eq(&cert_key) {
        return Err(Error::invalid("the private key does not belong to the certificate (their public keys differ)"));
    }
    let der = cert.to_der().map_err(|_| Error::invalid("the certificate cannot be encoded"))?;
    let certificate = Certificate::from_der(&der).map_err(|e| Error::invalid(e.to_string()))?;
    // Store a normalised PKCS#8 PEM, whatever form the admin had.
    let normalised = key.private_key_to_pem_pkcs8().map_err(crypto_error("key encoding"))?;
    Ok(SpKeyPair { key_pem: Sensitive::new(normalised), certificate })
}

/// Parses a PEM private key without ever putting its bytes in an error.
pub fn parse_private_key(pem: &Sensitive<Vec<u8>>) -> Result<PKey<Private>> {
    PKey::private_key_from_pem(pem.expose())
        .map_err(|_| Error::invalid("the private key is not an unencrypted PEM private key (PKCS#8 or PKCS#1)"))
}

fn key_descriptor(cert: &Certificate, key_use: &str, with_methods: bool) -> KeyDescriptor {
    KeyDescriptor {
        key_use: Some(key_use.to_owned()),
        key_info: KeyInfo { id: None, x509_data: Some(X509Data { certificates: vec![cert.der_base64.clone()] }) },
        encryption_methods: with_methods
            .then(|| SUPPORTED_ENCRYPTION.iter().map(|a| EncryptionMethod { algorithm: (*a).to_owned() }).collect()),
    }
}

/// SP metadata: entityID, the ACS (HTTP-POST), the certificate for encryption (and for
/// signing when AuthnRequests are signed), and only algorithms Handshake really supports.
pub fn metadata_xml(sp: &SpEndpoints, certificate: Option<&Certificate>, signs_requests: bool) -> Result<String> {
    let mut keys = Vec::new();
    if let Some(cert) = certificate {
        if signs_requests {
            keys.push(key_descriptor(cert, "signing", false));
        }
        keys.push(key_descriptor(cert, "encryption", true));
    }
    let descriptor = SpSsoDescriptor {
        protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".into()),
        key_descriptors: (!keys.is_empty()).then_some(keys),
        authn_requests_signed: Some(signs_requests),
        want_assertions_signed: Some(true),
        name_id_formats: Some(vec![
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".into(),
            "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".into(),
            "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified".into(),
        ]),
        assertion_consumer_services: vec![IndexedEndpoint {
            binding: BINDING_HTTP_POST.into(),
            location: sp.acs_url.clone(),
            response_location: None,
            index: 0,
            is_default: Some(true),
        }],
        ..SpSsoDescriptor::default()
    };
    let entity = EntityDescriptor {
        entity_id: Some(sp.entity_id.clone()),
        sp_sso_descriptors: Some(vec![descriptor]),
        ..EntityDescriptor::default()
    };
    let xml = entity
        .to_string()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("SP metadata could not be written: {e:?}")))?;
    // samael writes its own XML declaration.
    Ok(format!("{xml}\n"))
}

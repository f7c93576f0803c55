//! XML Encryption of an assertion (or a NameID) to the SP's certificate: RSA-OAEP key transport and
//! AES-CBC or AES-GCM content encryption, the combinations IdPs use.

use base64::Engine as _;
use openssl::encrypt::Encrypter;
use openssl::hash::MessageDigest;
use openssl::rsa::Padding;
use openssl::symm::Cipher;
use openssl::x509::X509;

use crate::certs::Certificate;
use crate::error::{Error, ErrorCode, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTransport {
    /// rsa-oaep-mgf1p with a SHA-1 digest (the common default).
    RsaOaepSha1,
    /// rsa-oaep-mgf1p with a SHA-256 digest.
    RsaOaepSha256,
    /// xmlenc11 rsa-oaep, SHA-256 digest and MGF1-SHA-256.
    RsaOaep11Sha256,
    /// RSA PKCS#1 v1.5: broken (Bleichenbacher); produced only to test that it is refused.
    RsaPkcs1V15,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataEncryption {
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
    Aes128Gcm,
    Aes192Gcm,
    Aes256Gcm,
}

impl DataEncryption {
    pub fn uri(self) -> &'static str {
        match self {
            DataEncryption::Aes128Cbc => "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
            DataEncryption::Aes192Cbc => "http://www.w3.org/2001/04/xmlenc#aes192-cbc",
            DataEncryption::Aes256Cbc => "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
            DataEncryption::Aes128Gcm => "http://www.w3.org/2009/xmlenc11#aes128-gcm",
            DataEncryption::Aes192Gcm => "http://www.w3.org/2009/xmlenc11#aes192-gcm",
            DataEncryption::Aes256Gcm => "http://www.w3.org/2009/xmlenc11#aes256-gcm",
        }
    }

    fn cipher(self) -> Cipher {
        match self {
            DataEncryption::Aes128Cbc => Cipher::aes_128_cbc(),
            DataEncryption::Aes192Cbc => Cipher::aes_192_cbc(),
            DataEncryption::Aes256Cbc => Cipher::aes_256_cbc(),
            DataEncryption::Aes128Gcm => Cipher::aes_128_gcm(),
            DataEncryption::Aes192Gcm => Cipher::aes_192_gcm(),
            DataEncryption::Aes256Gcm => Cipher::aes_256_gcm(),
        }
    }

    fn is_gcm(self) -> bool {
        matches!(self, DataEncryption::Aes128Gcm | DataEncryption::Aes192Gcm | DataEncryption::Aes256Gcm)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptOptions {
    pub key_transport: KeyTransport,
    pub data: DataEncryption,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        EncryptOptions { key_transport: KeyTransport::RsaOaepSha1, data: DataEncryption::Aes256Gcm }
    }
}

fn internal(what: &str) -> impl FnOnce(openssl::error::ErrorStack) -> Error + '_ {
    move |e| Error::new(ErrorCode::Internal, format!("{what}: {e}"))
}

/// Encrypts `assertion_xml` (a whole `saml:Assertion` element) for the holder of `recipient`,
/// returning a `saml:EncryptedAssertion` element using `prefix` for the assertion namespace.
pub fn encrypt_assertion(
    assertion_xml: &str,
    recipient: &Certificate,
    options: EncryptOptions,
    assertion_prefix: Option<&str>,
) -> Result<String> {
    encrypt_element(assertion_xml, "EncryptedAssertion", recipient, options, assertion_prefix)
}

/// Encrypts `name_id_xml` (a whole `saml:NameID` element, namespace declared on it) for the
/// holder of `recipient`, returning a `saml:EncryptedID` element.
pub fn encrypt_name_id(
    name_id_xml: &str,
    recipient: &Certificate,
    options: EncryptOptions,
    assertion_prefix: Option<&str>,
) -> Result<String> {
    encrypt_element(name_id_xml, "EncryptedID", recipient, options, assertion_prefix)
}

/// An EncryptedElementType (SAML core 2.2.4) named `wrapper` around `element_xml` encrypted.
fn encrypt_element(
    element_xml: &str,
    wrapper: &str,
    recipient: &Certificate,
    options: EncryptOptions,
    assertion_prefix: Option<&str>,
) -> Result<String> {
    let cipher = options.data.cipher();
    let mut key = vec![0u8; cipher.key_len()];
    openssl::rand::rand_bytes(&mut key).map_err(internal("random key"))?;
    let iv_len = if options.data.is_gcm() { 12 } else { 16 };
    let mut iv = vec![0u8; iv_len];
    openssl::rand::rand_bytes(&mut iv).map_err(internal("random IV"))?;

    let mut content = iv.clone();
    if options.data.is_gcm() {
        let mut tag = [0u8; 16];
        let ciphertext = openssl::symm::encrypt_aead(cipher, &key, Some(&iv), &[], element_xml.as_bytes(), &mut tag)
            .map_err(internal("AES-GCM"))?;
        content.extend_from_slice(&ciphertext);
        content.extend_from_slice(&tag);
    } else {
        // XML Encryption padding: the last byte says how many bytes to strip (PKCS#7 satisfies it).
        let ciphertext =
            openssl::symm::encrypt(cipher, &key, Some(&iv), element_xml.as_bytes()).map_err(internal("AES-CBC"))?;
        content.extend_from_slice(&ciphertext);
    }

    let cert = X509::from_der(&recipient.der()).map_err(internal("SP certificate"))?;
    let public = cert.public_key().map_err(internal("SP public key"))?;
    let mut encrypter = Encrypter::new(&public).map_err(internal("RSA"))?;
    let (transport_uri, transport_params) = match options.key_transport {
        KeyTransport::RsaOaepSha1 => {
            encrypter.set_rsa_padding(Padding::PKCS1_OAEP).map_err(internal("OAEP"))?;
            encrypter.set_rsa_oaep_md(MessageDigest::sha1()).map_err(internal("OAEP"))?;
            encrypter.set_rsa_mgf1_md(MessageDigest::sha1()).map_err(internal("OAEP"))?;
            (
                "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
                r#"<ds:DigestMethod xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>"#,
            )
        }
        KeyTransport::RsaOaepSha256 => {
            encrypter.set_rsa_padding(Padding::PKCS1_OAEP).map_err(internal("OAEP"))?;
            encrypter.set_rsa_oaep_md(MessageDigest::sha256()).map_err(internal("OAEP"))?;
            encrypter.set_rsa_mgf1_md(MessageDigest::sha1()).map_err(internal("OAEP"))?;
            (
                "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
                r#"<ds:DigestMethod xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>"#,
            )
        }
        KeyTransport::RsaOaep11Sha256 => {
            encrypter.set_rsa_padding(Padding::PKCS1_OAEP).map_err(internal("OAEP"))?;
            encrypter.set_rsa_oaep_md(MessageDigest::sha256()).map_err(internal("OAEP"))?;
            encrypter.set_rsa_mgf1_md(MessageDigest::sha256()).map_err(internal("OAEP"))?;
            (
                "http://www.w3.org/2009/xmlenc11#rsa-oaep",
                r#"<ds:DigestMethod xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/>"#,
            )
        }
        KeyTransport::RsaPkcs1V15 => {
            encrypter.set_rsa_padding(Padding::PKCS1).map_err(internal("PKCS#1"))?;
            ("http://www.w3.org/2001/04/xmlenc#rsa-1_5", "")
        }
    };
    let mut wrapped = vec![0u8; encrypter.encrypt_len(&key).map_err(internal("RSA"))?];
    let n = encrypter.encrypt(&key, &mut wrapped).map_err(internal("RSA"))?;
    wrapped.truncate(n);

    let b64 = base64::engine::general_purpose::STANDARD;
    let tag = match assertion_prefix {
        Some(p) if !p.is_empty() => format!("{p}:{wrapper}"),
        _ => wrapper.to_owned(),
    };
    let ns_decl = match assertion_prefix {
        Some(p) if !p.is_empty() => format!(r#"xmlns:{p}="urn:oasis:names:tc:SAML:2.0:assertion""#),
        _ => r#"xmlns="urn:oasis:names:tc:SAML:2.0:assertion""#.to_owned(),
    };
    Ok(format!(
        concat!(
            r#"<{tag} {ns}><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">"#,
            r#"<xenc:EncryptionMethod Algorithm="{data_alg}"/>"#,
            r#"<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>"#,
            r#"<xenc:EncryptionMethod Algorithm="{transport}">{params}</xenc:EncryptionMethod>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{wrapped}</xenc:CipherValue></xenc:CipherData>"#,
            r#"</xenc:EncryptedKey></ds:KeyInfo>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{content}</xenc:CipherValue></xenc:CipherData>"#,
            r#"</xenc:EncryptedData></{tag}>"#
        ),
        tag = tag,
        ns = ns_decl,
        data_alg = options.data.uri(),
        transport = transport_uri,
        params = transport_params,
        wrapped = b64.encode(&wrapped),
        content = b64.encode(&content),
    ))
}

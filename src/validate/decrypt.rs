//! Decrypting an EncryptedAssertion or EncryptedID with the SP key: RSA-OAEP key transport,
//! AES-CBC/GCM.
//! PKCS#1 v1.5 key transport is refused: it is open to Bleichenbacher-style oracles.

use base64::Engine as _;
use openssl::encrypt::Decrypter;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::symm::Cipher;
use roxmltree::Node;

use super::violation::Violation;
use crate::sensitive::Sensitive;
use crate::xml::{self, NS_DS, NS_XENC, NS_XENC11};

const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
const RSA_OAEP_11: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
const RSA_1_5: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
const MAX_ENCRYPTED_KEYS: usize = 4;

/// True when the content encryption authenticates the ciphertext (AES-GCM). CBC does not:
/// without a verified Response signature, its failures must not be told apart (a
/// padding/parse oracle decrypts the assertion, Jager & Somorovsky 2011).
pub fn is_authenticated(encrypted: Node<'_, '_>) -> bool {
    xml::child(encrypted, NS_XENC, "EncryptedData")
        .and_then(|d| xml::child(d, NS_XENC, "EncryptionMethod"))
        .and_then(|m| m.attribute("Algorithm"))
        .and_then(content_cipher)
        .is_some_and(|(_, gcm)| gcm)
}

fn malformed(detail: &str) -> Violation {
    Violation::MalformedEncryptedAssertion { detail: detail.to_owned() }
}

fn b64(text: &str) -> Result<Vec<u8>, Violation> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| malformed(&format!("CipherValue is not base64: {e}")))
}

fn cipher_value(node: Node<'_, '_>) -> Result<Vec<u8>, Violation> {
    let value = xml::child(node, NS_XENC, "CipherData")
        .and_then(|d| xml::child(d, NS_XENC, "CipherValue"))
        .ok_or_else(|| malformed("no CipherData/CipherValue"))?;
    b64(&xml::text(value))
}

fn digest_for(uri: Option<&str>) -> Result<MessageDigest, Violation> {
    match uri {
        None | Some("http://www.w3.org/2000/09/xmldsig#sha1") => Ok(MessageDigest::sha1()),
        Some("http://www.w3.org/2001/04/xmlenc#sha256") => Ok(MessageDigest::sha256()),
        Some("http://www.w3.org/2001/04/xmldsig-more#sha384") => Ok(MessageDigest::sha384()),
        Some("http://www.w3.org/2001/04/xmlenc#sha512") => Ok(MessageDigest::sha512()),
        Some(other) => Err(Violation::UnsupportedKeyTransport { algorithm: format!("OAEP digest {other}") }),
    }
}

fn mgf_for(uri: Option<&str>) -> Result<MessageDigest, Violation> {
    match uri {
        None | Some("http://www.w3.org/2009/xmlenc11#mgf1sha1") => Ok(MessageDigest::sha1()),
        Some("http://www.w3.org/2009/xmlenc11#mgf1sha256") => Ok(MessageDigest::sha256()),
        Some("http://www.w3.org/2009/xmlenc11#mgf1sha384") => Ok(MessageDigest::sha384()),
        Some("http://www.w3.org/2009/xmlenc11#mgf1sha512") => Ok(MessageDigest::sha512()),
        Some(other) => Err(Violation::UnsupportedKeyTransport { algorithm: format!("OAEP MGF {other}") }),
    }
}

/// Unwraps the content key from one `xenc:EncryptedKey`.
fn unwrap_key(encrypted_key: Node<'_, '_>, key: &PKey<Private>) -> Result<Sensitive<Vec<u8>>, Violation> {
    let method = xml::child(encrypted_key, NS_XENC, "EncryptionMethod")
        .ok_or_else(|| malformed("EncryptedKey has no EncryptionMethod"))?;
    let algorithm = method.attribute("Algorithm").unwrap_or_default();
    let oaep_digest = xml::child(method, NS_DS, "DigestMethod").and_then(|d| d.attribute("Algorithm"));
    let (md, mgf) = match algorithm {
        RSA_OAEP_MGF1P => (digest_for(oaep_digest)?, MessageDigest::sha1()),
        RSA_OAEP_11 => {
            let mgf = xml::child(method, NS_XENC11, "MGF").and_then(|m| m.attribute("Algorithm"));
            (digest_for(oaep_digest)?, mgf_for(mgf)?)
        }
        RSA_1_5 => return Err(Violation::WeakKeyTransport { algorithm: algorithm.to_owned() }),
        other => return Err(Violation::UnsupportedKeyTransport { algorithm: other.to_owned() }),
    };
    let wrapped = cipher_value(encrypted_key)?;
    // Cheap refusal before the costly RSA operation: RSA ciphertexts are exactly modulus-sized.
    if wrapped.len() != key.size() {
        return Err(Violation::KeyUnwrapFailed);
    }
    let unwrap = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let mut d = Decrypter::new(key)?;
        d.set_rsa_padding(Padding::PKCS1_OAEP)?;
        d.set_rsa_oaep_md(md)?;
        d.set_rsa_mgf1_md(mgf)?;
        let mut out = vec![0u8; d.decrypt_len(&wrapped)?];
        let n = d.decrypt(&wrapped, &mut out)?;
        out.truncate(n);
        Ok(out)
    };
    unwrap().map(Sensitive::new).map_err(|_| Violation::KeyUnwrapFailed)
}

fn content_cipher(uri: &str) -> Option<(Cipher, bool)> {
    Some(match uri {
        "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => (Cipher::aes_128_cbc(), false),
        "http://www.w3.org/2001/04/xmlenc#aes192-cbc" => (Cipher::aes_192_cbc(), false),
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => (Cipher::aes_256_cbc(), false),
        "http://www.w3.org/2009/xmlenc11#aes128-gcm" => (Cipher::aes_128_gcm(), true),
        "http://www.w3.org/2009/xmlenc11#aes192-gcm" => (Cipher::aes_192_gcm(), true),
        "http://www.w3.org/2009/xmlenc11#aes256-gcm" => (Cipher::aes_256_gcm(), true),
        _ => return None,
    })
}

fn decrypt_content(cipher: Cipher, gcm: bool, key: &[u8], data: &[u8]) -> Result<Vec<u8>, Violation> {
    let failed = |what: &str| Violation::DecryptionFailed { detail: what.to_owned() };
    if key.len() != cipher.key_len() {
        return Err(failed("the unwrapped key has the wrong length for the content algorithm"));
    }
    if gcm {
        // IV (12 bytes) || ciphertext || tag (16 bytes)
        if data.len() < 12 + 16 {
            return Err(failed("ciphertext shorter than IV and tag"));
        }
        let (iv, rest) = data.split_at(12);
        let (ciphertext, tag) = rest.split_at(rest.len() - 16);
        openssl::symm::decrypt_aead(cipher, key, Some(iv), &[], ciphertext, tag)
            .map_err(|_| failed("AES-GCM authentication failed (ciphertext or key is wrong)"))
    } else {
        // IV (16 bytes) || ciphertext; XML Encryption padding: last byte = pad length, others arbitrary.
        if data.len() < 32 || !data.len().is_multiple_of(16) {
            return Err(failed("ciphertext is not a whole number of AES blocks after the IV"));
        }
        let (iv, ciphertext) = data.split_at(16);
        let mut crypter = openssl::symm::Crypter::new(cipher, openssl::symm::Mode::Decrypt, key, Some(iv))
            .map_err(|_| failed("cannot initialise AES-CBC"))?;
        crypter.pad(false);
        let mut out = vec![0u8; ciphertext.len() + 16];
        let mut n = crypter.update(ciphertext, &mut out).map_err(|_| failed("AES-CBC failed"))?;
        n += crypter.finalize(out.get_mut(n..).unwrap_or_default()).map_err(|_| failed("AES-CBC failed"))?;
        out.truncate(n);
        let pad = usize::from(*out.last().ok_or_else(|| failed("empty plaintext"))?);
        if pad == 0 || pad > 16 || pad > out.len() {
            return Err(failed("bad padding (wrong key or damaged ciphertext)"));
        }
        out.truncate(out.len() - pad);
        Ok(out)
    }
}

/// Decrypts the `saml:EncryptedAssertion` element, returning the plaintext XML.
pub fn decrypt_assertion(encrypted: Node<'_, '_>, key: &PKey<Private>) -> Result<String, Violation> {
    decrypt_element(encrypted, key)
}

/// Decrypts a SAML EncryptedElementType (an EncryptedAssertion, or an EncryptedID: SAML
/// core 2.2.4): `xenc:EncryptedData` with its `xenc:EncryptedKey` inside its KeyInfo or
/// beside it. Returns the plaintext XML.
pub fn decrypt_element(encrypted: Node<'_, '_>, key: &PKey<Private>) -> Result<String, Violation> {
    let wrapper = encrypted.tag_name().name();
    let data = xml::child(encrypted, NS_XENC, "EncryptedData")
        .ok_or_else(|| malformed(&format!("{wrapper} has no xenc:EncryptedData")))?;
    let data_alg = xml::child(data, NS_XENC, "EncryptionMethod")
        .and_then(|m| m.attribute("Algorithm"))
        .ok_or_else(|| malformed("EncryptedData has no EncryptionMethod"))?;
    let (cipher, gcm) = content_cipher(data_alg)
        .ok_or_else(|| Violation::UnsupportedDataEncryption { algorithm: data_alg.to_owned() })?;

    // The EncryptedKey sits in EncryptedData/KeyInfo or beside EncryptedData (some IdPs).
    let in_key_info =
        xml::child(data, NS_DS, "KeyInfo").into_iter().flat_map(|ki| xml::children(ki, NS_XENC, "EncryptedKey"));
    let beside = xml::children(encrypted, NS_XENC, "EncryptedKey");
    // Real responses address one or two recipients; each candidate costs an RSA private-key
    // operation, before anything is authenticated when the Response is unsigned.
    let candidates: Vec<Node<'_, '_>> = in_key_info.chain(beside).take(MAX_ENCRYPTED_KEYS).collect();
    if candidates.is_empty() {
        return Err(malformed("no xenc:EncryptedKey"));
    }
    // Several EncryptedKeys address several recipients: the first one our key opens wins.
    let mut last_error = Violation::KeyUnwrapFailed;
    let mut content_key = None;
    for candidate in candidates {
        match unwrap_key(candidate, key) {
            Ok(k) => {
                content_key = Some(k);
                break;
            }
            Err(e @ (Violation::WeakKeyTransport { .. } | Violation::UnsupportedKeyTransport { .. })) => last_error = e,
            Err(e) => {
                if !matches!(last_error, Violation::WeakKeyTransport { .. } | Violation::UnsupportedKeyTransport { .. })
                {
                    last_error = e;
                }
            }
        }
    }
    let content_key = content_key.ok_or(last_error)?;
    let plaintext = decrypt_content(cipher, gcm, content_key.expose(), &cipher_value(data)?)?;
    String::from_utf8(plaintext)
        .map_err(|_| Violation::DecryptionFailed { detail: "the plaintext is not UTF-8".into() })
}

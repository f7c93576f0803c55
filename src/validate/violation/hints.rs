//! How to fix each violation: a true hint, naming the setting to change on the IdP or in
//! the connection. The hint depends on who judges (see [`Judging`]): what to change for a
//! response delivered to the ACS is not always what to change for a captured one (a
//! production capture names the production SP; it expired long ago).

use super::super::judging::{Capture, CaptureAt, CaptureSp, Judging, OtherMatch};
use super::Violation;

impl Violation {
    /// The fix for a response delivered to this connection's ACS.
    pub fn hint(&self) -> String {
        self.hint_in(&Judging::default())
    }

    /// The fix, in the words of who judges.
    pub fn hint_in(&self, judging: &Judging<'_>) -> String {
        if let Violation::OtherConnectionIdp { connection, matched, .. } = self {
            return other_connection_hint(connection, matched, judging.capture.is_some());
        }
        judging.capture.and_then(|c| self.capture_hint(c)).unwrap_or_else(|| self.delivered_hint())
    }

    fn delivered_hint(&self) -> String {
        use Violation::*;
        match self {
            Empty | NotBase64 { .. } | NotUtf8 => {
                "Paste the value of the SAMLResponse form field exactly as posted (a SAML tracer shows it).".into()
            }
            TooLarge { .. } => "Real responses are a few kilobytes; check that this is a SAMLResponse.".into(),
            NotXml { .. } | NotAResponse { .. } | WrongVersion { .. } | MissingId { .. } => {
                "This is not a SAML 2.0 Response; check the IdP's SAML settings (SAML 2.0, HTTP-POST binding).".into()
            }
            Doctype => "SAML never uses a DOCTYPE; a response with one is an XXE/entity-expansion attack or a broken IdP.".into(),
            NoAssertion => "The IdP sent no assertion: look at the Status for the reason.".into(),
            InvalidId { .. } => "SAML declares every ID as xs:ID, an XML name (a letter or _ first, so not a bare UUID or number), and this IdP emits IDs that are not. \
                 XML Signature itself can reference such an ID, but the verifier Handshake uses (samael over xmlsec) refuses documents that contain one, so this response cannot be verified here. \
                 Configure the IdP to emit conformant IDs (most prefix them with _ or a letter, e.g. _ followed by the UUID).".into(),
            TooManyAssertions { .. } | AssertionOutOfPlace { .. } | DuplicateId { .. } => {
                "This is the shape of an XML Signature Wrapping attack; a real IdP sends one assertion.".into()
            }
            EncryptionRequired => {
                "Turn on assertion encryption at the IdP with the SP certificate, or relax the connection's encryption policy.".into()
            }
            NoDecryptionKey { .. } => "Generate or import the SP key for this connection (connection set-sp-key) and give the IdP its certificate.".into(),
            WeakKeyTransport { .. } => {
                "RSA PKCS#1 v1.5 key transport is breakable (Bleichenbacher); configure the IdP to use RSA-OAEP.".into()
            }
            UnsupportedKeyTransport { .. } | UnsupportedDataEncryption { .. } => {
                "Configure the IdP to encrypt with RSA-OAEP and AES-256-GCM or AES-256-CBC.".into()
            }
            DecryptedUnboundPrefix { .. } => "Namespace declarations outside the encrypted Assertion are protected by neither its \
                 encryption nor its signature, so Handshake takes only a well-known prefix bound to its standard URI from them. \
                 Configure the IdP to declare every prefix inside the Assertion it encrypts (most IdPs do); if it already does, \
                 the Response was changed on the way."
                .into(),
            MalformedEncryptedAssertion { .. } | DecryptionFailed { .. } | DecryptedNotAnAssertion { .. } => {
                "The encrypted element is damaged or not XML Encryption as SAML uses it.".into()
            }
            UnauthenticatedDecryptionFailed => "The key unwrapped, but what it decrypted is not an assertion this connection accepts. Handshake does not say which of these it is, \
                 because for unauthenticated AES-CBC (Response unsigned) telling them apart is a decryption oracle: \
                 the ciphertext was changed or damaged in transit; the IdP encrypts something other than one saml:Assertion; \
                 the assertion inside is not signed (with the Response unsigned, nothing would be); \
                 it is signed with an algorithm this connection refuses (RSA-SHA1 or a SHA-1 digest, unless SHA-1 is allowed in the security policy); \
                 it is signed with a key that is not in the IdP metadata (the IdP rotated its certificate: re-import its metadata); \
                 or it was changed after signing. \
                 Sign the Response at the IdP, or switch its encryption to AES-GCM, to get the precise error."
                .into(),
            EncryptedIdUndecryptable { reason } => {
                format!("The Subject's NameID arrived encrypted (EncryptedID) and could not be decrypted. {}", reason.hint())
            }
            DecryptedNotANameId { .. } => {
                "An EncryptedID must hold one saml:NameID (SAML core 2.2.4): check the IdP's NameID encryption setting.".into()
            }
            KeyUnwrapFailed => {
                "The IdP encrypted to a different certificate: upload this connection's SP metadata (its certificate) to the IdP again.".into()
            }
            WeakSignatureAlgorithm { algorithm } => format!(
                "SHA-1 is broken: set the IdP's signature algorithm to {} (or allow SHA-1 in the connection's security policy for a legacy IdP).",
                strong_signature_for(algorithm)
            ),
            WeakDigestAlgorithm { .. } => {
                "The signature algorithm is fine, but the Reference's DigestMethod is SHA-1, which is broken: set the IdP's digest algorithm to SHA-256 (or allow SHA-1 in the connection's security policy for a legacy IdP).".into()
            }
            UnsupportedSignatureAlgorithm { algorithm } => format!(
                "Set the IdP's signature algorithm to {}.",
                strong_signature_for(algorithm)
            ),
            UnsupportedDigestAlgorithm { .. } => "Set the IdP's digest algorithm to SHA-256.".into(),
            UnsupportedTransform { .. } => {
                "Set the IdP to sign with the standard transforms: enveloped-signature, then exclusive canonicalization (xml-exc-c14n).".into()
            }
            NoTrustedCertificates => "Re-import the IdP metadata: it must contain a signing certificate.".into(),
            Unsigned => "Turn on signing at the IdP (sign the assertion, or the response and the assertion).".into(),
            SignatureOutOfPlace { .. } | SignatureReferenceCount { .. } | ReferenceMismatch { .. } | SignedContentMismatch { .. } => {
                "The signature does not cover the assertion that would be used: an XML Signature Wrapping attempt or a broken IdP.".into()
            }
            WholeDocumentReference { .. } => {
                "URI=\"\" signs the whole document instead of naming the element it signs. SAML (core 5.4.2) requires each signature's Reference to carry the ID of the Response or Assertion it signs, \
                 which is how Handshake knows what a signature covers: configure the IdP (or its SAML library) to reference the signed element's ID.".into()
            }
            SignedAdvice { .. } => {
                "An assertion inside the Assertion's Advice carries its own signature. Handshake reads nothing from Advice and does not verify signatures inside it, \
                 so it refuses the response rather than leave a signature unchecked: configure the IdP to leave signed assertions out of Advice (they carry nothing the login needs). \
                 If this IdP never sends Advice, the response was altered: hiding a signed assertion there is a signature-wrapping attempt.".into()
            }
            SignedContentTooComplex { .. } => "Real IdP responses are a few KB to a few hundred KB, nest a handful of levels and \
                 declare a handful of namespaces; this one is shaped to make signature checking slow (a denial-of-service attempt on \
                 the ACS) and was refused before its signature was checked. If your IdP really sent it, configure it to sign with \
                 exclusive canonicalization (xml-exc-c14n#) and to send a smaller, flatter assertion (fewer attributes or group values)."
                .into(),
            CommentInSignedContent { .. } => {
                "Signatures do not cover comments, and a comment can cut a NameID or attribute in two (CVE-2017-11427): real IdPs never put comments in assertions.".into()
            }
            SignatureInvalid { key_hint, .. } => match key_hint {
                Some(h) => h.clone(),
                None => "The content changed after signing, or the IdP signs with a key that is not in the imported metadata: re-import the IdP metadata if the IdP rotated its certificate.".into(),
            },
            AssertionSignatureRequired => "Set the IdP to sign the assertion, or relax the connection's signature policy.".into(),
            ResponseSignatureRequired => "Set the IdP to sign the response, or relax the connection's signature policy.".into(),
            StatusNotSuccess { authenticated: true, .. } => "The IdP refused the login; its status code and message say why (user not assigned to the app, MFA failed...).".into(),
            StatusNotSuccess { authenticated: false, .. } => "No verified signature covers this Response's Status, so nothing shows that the IdP sent it: anyone can post such a response to the ACS, and its StatusMessage is unauthenticated text, not the IdP's word. \
                 If it did come from the IdP, the IdP refused the login: look up the reason in the IdP's sign-in logs (and have the IdP sign its Responses).".into(),
            MissingAssertionIssuer => {
                "SAML requires an Issuer in every Assertion (core 2.3.3; the Web Browser SSO profile requires it to be the IdP's entityID), and this one has none: configure the IdP (or its SAML library) to include it.".into()
            }
            IssuerMismatch { .. } => {
                "The response comes from a different IdP entity than this connection: re-import the right metadata or fix the IdP's entityID/issuer.".into()
            }
            DestinationMismatch { expected, .. } => {
                format!("The IdP must be configured with the ACS URL {expected} (it is in the SP metadata).")
            }
            MissingDestination { expected } => format!(
                "A signed Response must name its Destination (SAML bindings 3.5.5.2), so that it cannot be replayed to another SP: configure the IdP to send Destination=\"{expected}\" (the ACS URL from the SP metadata), \
                 or allow a missing Destination in the connection's security policy."
            ),
            NoBearerConfirmation { .. } => "The IdP must issue a bearer SubjectConfirmation (Web Browser SSO profile).".into(),
            RecipientMismatch { expected, .. } => format!("Set the ACS (Reply/Recipient) URL at the IdP to {expected}."),
            ConfirmationExpired { .. } | Expired { .. } => {
                "The response is too old: log in again; if it keeps happening, sync the clocks or raise the connection's clock skew.".into()
            }
            ConfirmationWithoutExpiry => "The IdP must set SubjectConfirmationData NotOnOrAfter.".into(),
            ConfirmationNotYetValid { .. } | NotYetValid { .. } | IssuedInFuture { .. } => {
                "The IdP's clock is ahead of this machine's: sync the clocks (NTP) or raise the connection's clock skew.".into()
            }
            BadTimestamp { .. } | BadConfirmationTimestamp { .. } => {
                "SAML timestamps are xs:dateTime values, such as 2026-01-15T10:00:00Z: fix the IdP's time format.".into()
            }
            NoAudienceRestriction => "The IdP must restrict the assertion to this SP: set its Audience / SP entityID.".into(),
            AudienceMismatch { expected, found } => match found.first() {
                Some(f) => format!("Audience was {f}; the IdP must be configured with SP entityID {expected}."),
                None => format!("The IdP must be configured with SP entityID {expected}."),
            },
            InResponseToMismatch { .. } => "This response answers a different login request: start the test login again from Handshake.".into(),
            UnexpectedInResponseTo { .. } => {
                "The response answers an AuthnRequest this SP is not waiting for (expired, already used, or from another SP). Start the login again; to check a captured response, give the ID of the request it answers.".into()
            }
            RequestExpired { .. } => "The login took longer than Handshake waits for an answer (10 minutes): start the test login again.".into(),
            UnsolicitedRefused => "Start the login from Handshake (SP-initiated), or allow IdP-initiated login in the connection's security policy.".into(),
            OtherConnectionIdp { connection, matched, .. } => other_connection_hint(connection, matched, false),
        }
    }

    /// The fix for a captured response, where it differs from a delivered one's: `None`
    /// when the delivered hint holds for a capture too.
    fn capture_hint(&self, c: Capture) -> Option<String> {
        use Violation::*;
        let hint = match (self, c.sp) {
            (DestinationMismatch { expected, found }, CaptureSp::Connection) => addressed_elsewhere("Destination", found, "ACS URL", expected),
            (RecipientMismatch { expected, found }, CaptureSp::Connection) => match found.first() {
                Some(f) => addressed_elsewhere("Recipient", f, "ACS URL", expected),
                None => return None,
            },
            (AudienceMismatch { expected, found }, CaptureSp::Connection) => match found.first() {
                Some(f) => addressed_elsewhere("Audience", f, "SP entityID", expected),
                None => return None,
            },
            (DestinationMismatch { expected, found }, CaptureSp::Addressed { acs_url_from_response, .. }) => {
                judged_as_given("Destination", found, "ACS URL", expected, acs_url_from_response)
            }
            (RecipientMismatch { expected, found }, CaptureSp::Addressed { acs_url_from_response, .. }) => {
                match found.first() {
                    Some(f) => judged_as_given("Recipient", f, "ACS URL", expected, acs_url_from_response),
                    None => return None,
                }
            }
            (AudienceMismatch { expected, found }, CaptureSp::Addressed { entity_id_from_response, .. }) => {
                match found.first() {
                    Some(f) => judged_as_given("Audience", f, "SP entityID", expected, entity_id_from_response),
                    None => return None,
                }
            }
            (MissingDestination { .. }, _) => "A signed Response must name its Destination (SAML bindings 3.5.5.2), so that it cannot be replayed to another SP: \
                 configure the IdP to send the ACS URL of the SP it addresses as Destination, or allow a missing Destination in the connection's security policy."
                .into(),
            (KeyUnwrapFailed | NoDecryptionKey { .. }, CaptureSp::Addressed { .. }) => "The assertion is encrypted to the certificate of the SP it was addressed to, \
                 and only that SP's private key can decrypt it; this connection's SP key cannot. To judge this capture, give this connection that SP's key pair \
                 (connection set-sp-key), or capture a response from an IdP application that does not encrypt."
                .into(),
            (KeyUnwrapFailed, CaptureSp::Connection) => "The assertion is encrypted to a certificate other than this connection's SP certificate. \
                 A capture from another SP (production) is encrypted to that SP's certificate, and only its key decrypts it: that is not a problem for that SP. \
                 If logins at this connection get such responses, upload this connection's SP metadata (its certificate) to the IdP again."
                .into(),
            (InResponseToMismatch { .. }, _) => "The Response's InResponseTo and its SubjectConfirmationData's differ: the IdP must copy the AuthnRequest's ID into both.".into(),
            (UnsolicitedRefused, _) => "This capture is unsolicited (IdP-initiated) and this connection's security policy refuses unsolicited responses. \
                 If the SP it was addressed to accepts IdP-initiated logins, allow them in this connection's security policy to judge it the same way."
                .into(),
            (ConfirmationExpired { not_on_or_after: t, now } | Expired { not_on_or_after: t, now }, _) => match c.at {
                CaptureAt::Clock => format!(
                    "This capture expired at {t}, and it was judged now ({now}): a response is valid for minutes after the IdP issues it, so an old capture is always expired. \
                     Judge it at the response's own time to check everything else; this alone says nothing about the IdP."
                ),
                CaptureAt::Given => format!(
                    "At the instant you chose ({now}) this capture had expired (NotOnOrAfter {t}): judge it at the response's own time, or at an instant inside its validity window."
                ),
                CaptureAt::Response => format!(
                    "Even at its own IssueInstant ({now}) this response had expired (NotOnOrAfter {t}): the IdP issues assertions that are never valid. \
                     Fix the IdP's assertion lifetime, or the clock it stamps NotOnOrAfter with."
                ),
            },
            (ConfirmationNotYetValid { now, .. } | NotYetValid { now, .. } | IssuedInFuture { now, .. }, _) => match c.at {
                CaptureAt::Clock => return None,
                CaptureAt::Given => format!(
                    "At the instant you chose ({now}) the IdP had not yet issued this response, or it was not yet valid: judge it at the response's own time, or at a later instant."
                ),
                CaptureAt::Response => format!(
                    "Even at its own IssueInstant ({now}) this response is not yet valid: the IdP stamps NotBefore later than the instant it issues the assertion. \
                     Fix the IdP's clock or its Conditions, or raise the connection's clock skew."
                ),
            },
            _ => return None,
        };
        Some(hint)
    }
}

/// A capture judged as this connection's SP names another SP: true of every production capture.
fn addressed_elsewhere(field: &str, found: &str, setting: &str, expected: &str) -> String {
    format!(
        "This capture was addressed to {found} ({field}), not to this connection's {setting} {expected}: that is not a problem for the SP it was addressed to, \
         and the IdP needs no change for it. To check everything else, judge it as the SP it was addressed to. \
         Change the IdP's {setting} to {expected} only if logins at this connection get responses addressed to {found}."
    )
}

/// A capture judged as the SP it was addressed to, with a value that differs from the response's.
fn judged_as_given(field: &str, found: &str, setting: &str, expected: &str, from_response: bool) -> String {
    if from_response {
        // The value was read from the response's other field: the IdP sends two different ones.
        format!(
            "The response's {field} is {found}, but it is addressed to {expected} elsewhere in the response: the IdP sends two different {setting}s. \
             Configure it with the SP's one {setting} (it is in the SP metadata)."
        )
    } else {
        format!(
            "The response's {field} is {found}; you judged it as the SP whose {setting} is {expected}. If {expected} is that SP's real {setting}, \
             the IdP must be configured with it; if not, judge it with the value from the response."
        )
    }
}

/// A response that another connection's IdP sent or signed: no certificate rotation, no re-import.
fn other_connection_hint(connection: &str, matched: &OtherMatch, capture: bool) -> String {
    let how = match matched {
        OtherMatch::Issuer(issuer) => {
            format!("its Issuer {issuer} is, exactly as sent, the IdP entityID of connection {connection}")
        }
        OtherMatch::Certificate(fp) => {
            format!("it is signed with a certificate from the IdP metadata of connection {connection} (SHA-256 {fp})")
        }
    };
    let then = if capture {
        format!("judge it with connection {connection} instead")
    } else {
        format!(
            "that IdP sends its responses to this connection's ACS: configure it with the ACS URL of connection {connection} (in that connection's SP metadata)"
        )
    };
    format!(
        "This response comes from connection {connection}'s IdP: {how}. So {then}. \
         This connection's IdP did not rotate its certificate, and nothing needs re-importing here."
    )
}

/// The SHA-256 variant for the key type of a signature algorithm URI.
fn strong_signature_for(algorithm: &str) -> &'static str {
    if algorithm.contains("ecdsa") { "ECDSA-SHA256" } else { "RSA-SHA256" }
}

//! How to fix each violation: a true hint, naming the setting to change on the IdP or in
//! the connection.

use super::Violation;

impl Violation {
    pub fn hint(&self) -> String {
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
        }
    }
}

/// The SHA-256 variant for the key type of a signature algorithm URI.
fn strong_signature_for(algorithm: &str) -> &'static str {
    if algorithm.contains("ecdsa") { "ECDSA-SHA256" } else { "RSA-SHA256" }
}

//! One variant per way a response can be refused. Each names its check, what was
//! expected, what was found, and how to fix it.

use super::checks::CheckId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    // parse
    Empty,
    TooLarge { bytes: usize, limit: usize },
    NotBase64 { detail: String },
    NotUtf8,
    NotXml { detail: String },
    NotAResponse { root: String },
    WrongVersion { found: String },
    MissingId { element: &'static str },
    // doctype
    Doctype,
    // single_assertion
    NoAssertion,
    TooManyAssertions { count: usize },
    AssertionOutOfPlace { location: String },
    DuplicateId { id: String },
    InvalidId { id: String },
    // decrypt
    EncryptionRequired,
    NoDecryptionKey { detail: String },
    WeakKeyTransport { algorithm: String },
    UnsupportedKeyTransport { algorithm: String },
    UnsupportedDataEncryption { algorithm: String },
    MalformedEncryptedAssertion { detail: String },
    KeyUnwrapFailed,
    DecryptionFailed { detail: String },
    DecryptedNotAnAssertion { detail: String },
    DecryptedUnboundPrefix { prefix: String, declared: Option<String> },
    UnauthenticatedDecryptionFailed,
    // `reason`: why the Subject's EncryptedID could not be decrypted.
    EncryptedIdUndecryptable { reason: Box<Violation> },
    DecryptedNotANameId { detail: String },
    // algorithm
    WeakSignatureAlgorithm { algorithm: String },
    UnsupportedSignatureAlgorithm { algorithm: String },
    WeakDigestAlgorithm { algorithm: String },
    UnsupportedDigestAlgorithm { algorithm: String },
    UnsupportedTransform { algorithm: String },
    // signature
    NoTrustedCertificates,
    Unsigned,
    SignatureOutOfPlace { location: String },
    SignatureReferenceCount { count: usize },
    ReferenceMismatch { uri: String, expected: String },
    WholeDocumentReference { expected: String },
    SignedAdvice { location: String },
    SignatureInvalid { detail: String, key_hint: Option<String> },
    SignedContentMismatch { detail: String },
    CommentInSignedContent { location: String },
    SignedContentTooComplex { work: u64, limit: u64, detail: String },
    AssertionSignatureRequired,
    ResponseSignatureRequired,
    // status
    // `authenticated`: the Status was read from a Response whose signature verified.
    StatusNotSuccess { code: String, sub_code: Option<String>, message: Option<String>, authenticated: bool },
    // issuer
    MissingAssertionIssuer,
    IssuerMismatch { element: &'static str, expected: String, found: String },
    // destination
    DestinationMismatch { expected: String, found: String },
    MissingDestination { expected: String },
    // subject_confirmation
    NoBearerConfirmation { methods: Vec<String> },
    RecipientMismatch { expected: String, found: Vec<String> },
    ConfirmationExpired { not_on_or_after: String, now: String },
    ConfirmationWithoutExpiry,
    ConfirmationNotYetValid { not_before: String, now: String },
    BadConfirmationTimestamp { field: &'static str, value: String, reason: String },
    // time_window
    BadTimestamp { field: &'static str, value: String, reason: String },
    NotYetValid { not_before: String, now: String },
    Expired { not_on_or_after: String, now: String },
    IssuedInFuture { issue_instant: String, now: String },
    // audience
    NoAudienceRestriction,
    AudienceMismatch { expected: String, found: Vec<String> },
    // in_response_to
    InResponseToMismatch { element: &'static str, expected: String, found: Option<String> },
    UnexpectedInResponseTo { found: String },
    RequestExpired { id: String },
    UnsolicitedRefused,
}

impl Violation {
    pub fn check(&self) -> CheckId {
        use Violation::*;
        match self {
            Empty
            | TooLarge { .. }
            | NotBase64 { .. }
            | NotUtf8
            | NotXml { .. }
            | NotAResponse { .. }
            | WrongVersion { .. }
            | MissingId { .. } => CheckId::Parse,
            Doctype => CheckId::Doctype,
            NoAssertion
            | TooManyAssertions { .. }
            | AssertionOutOfPlace { .. }
            | DuplicateId { .. }
            | InvalidId { .. } => CheckId::SingleAssertion,
            EncryptionRequired
            | NoDecryptionKey { .. }
            | WeakKeyTransport { .. }
            | UnsupportedKeyTransport { .. }
            | UnsupportedDataEncryption { .. }
            | MalformedEncryptedAssertion { .. }
            | KeyUnwrapFailed
            | DecryptionFailed { .. }
            | DecryptedNotAnAssertion { .. }
            | UnauthenticatedDecryptionFailed
            | DecryptedUnboundPrefix { .. }
            | EncryptedIdUndecryptable { .. }
            | DecryptedNotANameId { .. } => CheckId::Decrypt,
            WeakSignatureAlgorithm { .. }
            | UnsupportedSignatureAlgorithm { .. }
            | WeakDigestAlgorithm { .. }
            | UnsupportedDigestAlgorithm { .. }
            | UnsupportedTransform { .. } => CheckId::Algorithm,
            NoTrustedCertificates
            | Unsigned
            | SignatureOutOfPlace { .. }
            | SignatureReferenceCount { .. }
            | ReferenceMismatch { .. }
            | WholeDocumentReference { .. }
            | SignedAdvice { .. }
            | SignatureInvalid { .. }
            | SignedContentMismatch { .. }
            | CommentInSignedContent { .. }
            | SignedContentTooComplex { .. }
            | AssertionSignatureRequired
            | ResponseSignatureRequired => CheckId::Signature,
            StatusNotSuccess { .. } => CheckId::Status,
            MissingAssertionIssuer | IssuerMismatch { .. } => CheckId::Issuer,
            DestinationMismatch { .. } | MissingDestination { .. } => CheckId::Destination,
            NoBearerConfirmation { .. }
            | RecipientMismatch { .. }
            | ConfirmationExpired { .. }
            | ConfirmationWithoutExpiry
            | ConfirmationNotYetValid { .. }
            | BadConfirmationTimestamp { .. } => CheckId::SubjectConfirmation,
            BadTimestamp { .. } | NotYetValid { .. } | Expired { .. } | IssuedInFuture { .. } => CheckId::TimeWindow,
            NoAudienceRestriction | AudienceMismatch { .. } => CheckId::Audience,
            InResponseToMismatch { .. }
            | UnexpectedInResponseTo { .. }
            | RequestExpired { .. }
            | UnsolicitedRefused => CheckId::InResponseTo,
        }
    }

    /// A stable snake_case name for the violation itself.
    pub fn name(&self) -> &'static str {
        use Violation::*;
        match self {
            Empty => "empty",
            TooLarge { .. } => "too_large",
            NotBase64 { .. } => "not_base64",
            NotUtf8 => "not_utf8",
            NotXml { .. } => "not_xml",
            NotAResponse { .. } => "not_a_response",
            WrongVersion { .. } => "wrong_version",
            MissingId { .. } => "missing_id",
            Doctype => "doctype",
            NoAssertion => "no_assertion",
            TooManyAssertions { .. } => "too_many_assertions",
            AssertionOutOfPlace { .. } => "assertion_out_of_place",
            DuplicateId { .. } => "duplicate_id",
            InvalidId { .. } => "invalid_id",
            EncryptionRequired => "encryption_required",
            NoDecryptionKey { .. } => "no_decryption_key",
            WeakKeyTransport { .. } => "weak_key_transport",
            UnsupportedKeyTransport { .. } => "unsupported_key_transport",
            UnsupportedDataEncryption { .. } => "unsupported_data_encryption",
            MalformedEncryptedAssertion { .. } => "malformed_encrypted_assertion",
            KeyUnwrapFailed => "key_unwrap_failed",
            DecryptionFailed { .. } => "decryption_failed",
            DecryptedNotAnAssertion { .. } => "decrypted_not_an_assertion",
            DecryptedUnboundPrefix { .. } => "decrypted_unbound_prefix",
            UnauthenticatedDecryptionFailed => "unauthenticated_decryption_failed",
            EncryptedIdUndecryptable { .. } => "encrypted_id_undecryptable",
            DecryptedNotANameId { .. } => "decrypted_not_a_name_id",
            WeakSignatureAlgorithm { .. } => "weak_signature_algorithm",
            UnsupportedSignatureAlgorithm { .. } => "unsupported_signature_algorithm",
            WeakDigestAlgorithm { .. } => "weak_digest_algorithm",
            UnsupportedDigestAlgorithm { .. } => "unsupported_digest_algorithm",
            UnsupportedTransform { .. } => "unsupported_transform",
            NoTrustedCertificates => "no_trusted_certificates",
            Unsigned => "unsigned",
            SignatureOutOfPlace { .. } => "signature_out_of_place",
            SignatureReferenceCount { .. } => "signature_reference_count",
            ReferenceMismatch { .. } => "reference_mismatch",
            WholeDocumentReference { .. } => "whole_document_reference",
            SignedAdvice { .. } => "signed_advice",
            SignatureInvalid { .. } => "signature_invalid",
            SignedContentMismatch { .. } => "signed_content_mismatch",
            CommentInSignedContent { .. } => "comment_in_signed_content",
            SignedContentTooComplex { .. } => "signed_content_too_complex",
            AssertionSignatureRequired => "assertion_signature_required",
            ResponseSignatureRequired => "response_signature_required",
            StatusNotSuccess { .. } => "status_not_success",
            MissingAssertionIssuer => "missing_assertion_issuer",
            IssuerMismatch { .. } => "issuer_mismatch",
            DestinationMismatch { .. } => "destination_mismatch",
            MissingDestination { .. } => "missing_destination",
            NoBearerConfirmation { .. } => "no_bearer_confirmation",
            RecipientMismatch { .. } => "recipient_mismatch",
            ConfirmationExpired { .. } => "confirmation_expired",
            ConfirmationWithoutExpiry => "confirmation_without_expiry",
            ConfirmationNotYetValid { .. } => "confirmation_not_yet_valid",
            BadConfirmationTimestamp { .. } => "bad_confirmation_timestamp",
            BadTimestamp { .. } => "bad_timestamp",
            NotYetValid { .. } => "not_yet_valid",
            Expired { .. } => "expired",
            IssuedInFuture { .. } => "issued_in_future",
            NoAudienceRestriction => "no_audience_restriction",
            AudienceMismatch { .. } => "audience_mismatch",
            InResponseToMismatch { .. } => "in_response_to_mismatch",
            UnexpectedInResponseTo { .. } => "unexpected_in_response_to",
            RequestExpired { .. } => "request_expired",
            UnsolicitedRefused => "unsolicited_refused",
        }
    }

    pub fn expected(&self) -> String {
        use Violation::*;
        match self {
            Empty | NotBase64 { .. } => "base64 of a SAML Response (as the form field SAMLResponse carries it)".into(),
            TooLarge { limit, .. } => format!("at most {limit} bytes"),
            NotUtf8 => "UTF-8 XML".into(),
            NotXml { .. } => "well-formed XML".into(),
            NotAResponse { .. } => "root element {urn:oasis:names:tc:SAML:2.0:protocol}Response".into(),
            WrongVersion { .. } => "Version=\"2.0\"".into(),
            MissingId { element } => format!("an ID attribute on {element}"),
            Doctype => "no <!DOCTYPE>".into(),
            NoAssertion | TooManyAssertions { .. } | AssertionOutOfPlace { .. } => {
                "exactly one Assertion or EncryptedAssertion in the document, a direct child of the Response".into()
            }
            DuplicateId { .. } => "every ID attribute value unique in the document".into(),
            InvalidId { .. } => "ID values that are XML names (xs:ID: a letter or _ first)".into(),
            EncryptionRequired => "an EncryptedAssertion (the connection requires encryption)".into(),
            NoDecryptionKey { .. } => "an SP private key in the secret store to decrypt with".into(),
            WeakKeyTransport { .. } | UnsupportedKeyTransport { .. } => {
                "RSA-OAEP key transport (xmlenc#rsa-oaep-mgf1p or xmlenc11#rsa-oaep)".into()
            }
            UnsupportedDataEncryption { .. } => "AES-128/192/256 in CBC or GCM mode".into(),
            MalformedEncryptedAssertion { .. } => "xenc:EncryptedData with an EncryptedKey and CipherValues".into(),
            KeyUnwrapFailed => "the content key encrypted to the SP certificate of this connection".into(),
            DecryptionFailed { .. } => "ciphertext that decrypts with the content key".into(),
            DecryptedNotAnAssertion { .. } => "the plaintext to be exactly one saml:Assertion element".into(),
            DecryptedUnboundPrefix { .. } => "a decrypted Assertion that declares every namespace prefix it uses \
                 (only saml, samlp, ds, xenc, xs, xsi and the like may come from outside it, with their standard URIs)"
                .into(),
            UnauthenticatedDecryptionFailed => {
                "AES-CBC ciphertext that decrypts to a correctly signed Assertion".into()
            }
            EncryptedIdUndecryptable { reason } => format!("EncryptedID: {}", reason.expected()),
            DecryptedNotANameId { .. } => "the EncryptedID's plaintext to be exactly one saml:NameID element".into(),
            WeakSignatureAlgorithm { .. } | UnsupportedSignatureAlgorithm { .. } => {
                "RSA-SHA256/384/512 or ECDSA-SHA256/384/512".into()
            }
            WeakDigestAlgorithm { .. } | UnsupportedDigestAlgorithm { .. } => "SHA-256, SHA-384 or SHA-512".into(),
            UnsupportedTransform { .. } => "only the enveloped-signature and canonicalization transforms".into(),
            NoTrustedCertificates => "at least one signing certificate in the connection's IdP metadata".into(),
            Unsigned => "a ds:Signature on the Assertion or on the Response that encloses it".into(),
            SignatureOutOfPlace { .. } => {
                "signatures only as direct children of the Response or of the Assertion".into()
            }
            SignatureReferenceCount { .. } => "exactly one ds:Reference per signature".into(),
            ReferenceMismatch { expected, .. } | WholeDocumentReference { expected } => {
                format!("Reference URI=\"{expected}\" (the ID of the signed element itself)")
            }
            SignedAdvice { .. } => {
                "signatures only on the Response and on the Assertion itself, none inside its Advice".into()
            }
            SignatureInvalid { .. } => "a signature that verifies with a certificate from the IdP metadata".into(),
            SignedContentMismatch { .. } => "the signed element to be the Assertion that is read".into(),
            CommentInSignedContent { .. } => "no XML comments inside signed elements".into(),
            SignedContentTooComplex { limit, .. } => format!(
                "a response whose signatures xmlsec can check within {limit} work units and 256 levels of nesting \
                 (a real response with 5,000 group values needs a sixth of that)"
            ),
            AssertionSignatureRequired => "a signature on the Assertion (connection policy)".into(),
            ResponseSignatureRequired => "a signature on the Response (connection policy)".into(),
            StatusNotSuccess { .. } => "urn:oasis:names:tc:SAML:2.0:status:Success".into(),
            MissingAssertionIssuer => "a saml:Issuer in the Assertion".into(),
            IssuerMismatch { expected, .. } => expected.clone(),
            DestinationMismatch { expected, .. } => expected.clone(),
            MissingDestination { expected } => format!("Destination=\"{expected}\" on the signed Response"),
            NoBearerConfirmation { .. } => {
                "SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"".into()
            }
            RecipientMismatch { expected, .. } => format!("Recipient=\"{expected}\""),
            ConfirmationExpired { now, .. } => format!("SubjectConfirmationData NotOnOrAfter after {now}"),
            ConfirmationWithoutExpiry => "SubjectConfirmationData with NotOnOrAfter".into(),
            ConfirmationNotYetValid { now, .. } => format!("SubjectConfirmationData NotBefore at or before {now}"),
            BadTimestamp { field, .. } | BadConfirmationTimestamp { field, .. } => {
                format!("{field} as an xs:dateTime (such as 2026-01-15T10:00:00Z)")
            }
            NotYetValid { now, .. } => format!("NotBefore at or before {now} (plus clock skew)"),
            Expired { now, .. } => format!("NotOnOrAfter after {now} (minus clock skew)"),
            IssuedInFuture { now, .. } => format!("IssueInstant at or before {now} (plus clock skew)"),
            NoAudienceRestriction | AudienceMismatch { .. } => self.expected_audience(),
            InResponseToMismatch { expected, .. } => format!("InResponseTo=\"{expected}\""),
            UnexpectedInResponseTo { .. } => "no InResponseTo (no AuthnRequest is outstanding)".into(),
            RequestExpired { .. } => "a response to an AuthnRequest that is still outstanding".into(),
            UnsolicitedRefused => "a response to an AuthnRequest from this SP (IdP-initiated login is refused)".into(),
        }
    }

    fn expected_audience(&self) -> String {
        match self {
            Violation::AudienceMismatch { expected, .. } => expected.clone(),
            _ => "an AudienceRestriction naming the SP entityID".into(),
        }
    }

    pub fn actual(&self) -> String {
        use Violation::*;
        match self {
            Empty => "empty input".into(),
            TooLarge { bytes, .. } => format!("{bytes} bytes"),
            NotBase64 { detail } => format!("not base64: {detail}"),
            NotUtf8 => "bytes that are not UTF-8".into(),
            NotXml { detail } => detail.clone(),
            NotAResponse { root } => format!("root element {root}"),
            WrongVersion { found } => format!("Version=\"{found}\""),
            MissingId { element } => format!("{element} without ID"),
            Doctype => "a DOCTYPE declaration".into(),
            NoAssertion => "no Assertion and no EncryptedAssertion".into(),
            TooManyAssertions { count } => format!("{count} assertions"),
            AssertionOutOfPlace { location } => format!("an assertion at {location}"),
            DuplicateId { id } => format!("ID \"{id}\" used more than once"),
            InvalidId { id } => format!("ID \"{id}\""),
            EncryptionRequired => "a plain Assertion".into(),
            NoDecryptionKey { detail } => detail.clone(),
            WeakKeyTransport { algorithm } | UnsupportedKeyTransport { algorithm } => algorithm.clone(),
            UnsupportedDataEncryption { algorithm } => algorithm.clone(),
            MalformedEncryptedAssertion { detail } => detail.clone(),
            KeyUnwrapFailed => "the SP private key cannot decrypt the EncryptedKey".into(),
            DecryptionFailed { detail } => detail.clone(),
            DecryptedNotAnAssertion { detail } => detail.clone(),
            // `declared`: what the context outside the ciphertext binds the prefix to.
            DecryptedUnboundPrefix { prefix, declared } => match declared {
                Some(uri) if crate::xml::standard_namespace(prefix) == Some(uri.as_str()) => {
                    format!("prefix \"{prefix}\" used but declared only outside the encrypted Assertion")
                }
                Some(uri) => format!(
                    "prefix \"{prefix}\" used but declared only outside the encrypted Assertion, as \"{uri}\" \
                     (not a well-known prefix with its standard URI)"
                ),
                None => format!("prefix \"{prefix}\" used but declared nowhere"),
            },
            UnauthenticatedDecryptionFailed => "the assertion did not decrypt to a correctly signed Assertion (details withheld: the Response is unsigned and AES-CBC is not authenticated)".into(),
            EncryptedIdUndecryptable { reason } => format!("EncryptedID: {}", reason.actual()),
            DecryptedNotANameId { detail } => detail.clone(),
            WeakSignatureAlgorithm { algorithm }
            | UnsupportedSignatureAlgorithm { algorithm }
            | WeakDigestAlgorithm { algorithm }
            | UnsupportedDigestAlgorithm { algorithm }
            | UnsupportedTransform { algorithm } => algorithm.clone(),
            NoTrustedCertificates => "no signing certificate".into(),
            Unsigned => "no signature".into(),
            SignatureOutOfPlace { location } => format!("a ds:Signature at {location}"),
            SignatureReferenceCount { count } => format!("{count} references"),
            ReferenceMismatch { uri, .. } => format!("Reference URI=\"{uri}\""),
            WholeDocumentReference { .. } => "Reference URI=\"\" (the whole document, not an element's ID)".into(),
            SignedAdvice { location } => format!("a ds:Signature at {location}"),
            SignatureInvalid { detail, .. } => detail.clone(),
            SignedContentMismatch { detail } => detail.clone(),
            CommentInSignedContent { location } => format!("a comment inside {location}"),
            SignedContentTooComplex { work, limit, detail } if work > limit => {
                format!("about {work} units, {:.1}x the budget: {detail}", *work as f64 / (*limit).max(1) as f64)
            }
            SignedContentTooComplex { detail, .. } => detail.clone(),
            AssertionSignatureRequired => "an unsigned Assertion".into(),
            ResponseSignatureRequired => "an unsigned Response".into(),
            StatusNotSuccess { code, sub_code, message, authenticated } => {
                let mut s = code.clone();
                if let Some(sub) = sub_code {
                    s.push_str(&format!(" / {sub}"));
                }
                match (message, authenticated) {
                    (Some(m), true) => s.push_str(&format!(" ({})", clip(m))),
                    (Some(m), false) => s.push_str(&format!(
                        "; unauthenticated StatusMessage (no verified signature covers it): \"{}\"",
                        clip(m)
                    )),
                    (None, true) => {}
                    (None, false) => s.push_str(" (no verified signature covers this status)"),
                }
                s
            }
            MissingAssertionIssuer => "no Issuer".into(),
            IssuerMismatch { element, found, .. } => format!("{element} Issuer \"{found}\""),
            DestinationMismatch { found, .. } => format!("Destination=\"{found}\""),
            MissingDestination { .. } => "a signed Response without Destination".into(),
            NoBearerConfirmation { methods } => {
                if methods.is_empty() {
                    "no SubjectConfirmation".into()
                } else {
                    format!("Method {}", methods.join(", "))
                }
            }
            RecipientMismatch { found, .. } => {
                if found.is_empty() {
                    "no Recipient".into()
                } else {
                    format!("Recipient {}", quoted_list(found))
                }
            }
            ConfirmationExpired { not_on_or_after, .. } => format!("NotOnOrAfter={not_on_or_after}"),
            ConfirmationWithoutExpiry => "no NotOnOrAfter".into(),
            ConfirmationNotYetValid { not_before, .. } => format!("NotBefore={not_before}"),
            BadTimestamp { field, value, reason } | BadConfirmationTimestamp { field, value, reason } => {
                format!("{field}=\"{value}\" ({reason})")
            }
            NotYetValid { not_before, .. } => format!("NotBefore={not_before}"),
            Expired { not_on_or_after, .. } => format!("NotOnOrAfter={not_on_or_after}"),
            IssuedInFuture { issue_instant, .. } => format!("IssueInstant={issue_instant}"),
            NoAudienceRestriction => "no AudienceRestriction".into(),
            AudienceMismatch { found, .. } => format!("Audience {}", quoted_list(found)),
            InResponseToMismatch { element, found, .. } => match found {
                Some(f) => format!("{element} InResponseTo=\"{f}\""),
                None => format!("{element} without InResponseTo (an unsolicited response)"),
            },
            UnexpectedInResponseTo { found } => format!("InResponseTo=\"{found}\""),
            RequestExpired { id } => format!("InResponseTo=\"{id}\", a request that has expired"),
            UnsolicitedRefused => "an unsolicited response (no InResponseTo)".into(),
        }
    }

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

/// Text from the message itself, shortened for display.
fn clip(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}... ({} characters)", text.get(..i).unwrap_or_default(), text.chars().count()),
        None => text.to_owned(),
    }
}

fn quoted_list(items: &[String]) -> String {
    items.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ")
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: expected {}, found {}", self.check(), self.expected(), self.actual())
    }
}

//! One variant per way a response can be refused. Each names its check, what was
//! expected, what was found, and how to fix it.
//!
//! This file holds the variants, their check and their stable name; `messages` words
//! what each expected and found, `hints` how to fix it.

mod hints;
mod messages;

use super::checks::CheckId;
pub use super::judging::OtherMatch;

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
    // signature or issuer: the failure `reason`, caused by a response from another
    // connection's IdP (`matched` says how it names that IdP).
    OtherConnectionIdp { connection: String, matched: OtherMatch, reason: Box<Violation> },
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
            OtherConnectionIdp { reason, .. } => reason.check(),
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
            OtherConnectionIdp { .. } => "other_connection_idp",
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: expected {}, found {}", self.check(), self.expected(), self.actual())
    }
}

//! What each violation expected and what it found, in words: the two halves of its
//! message.

use super::Violation;

impl Violation {
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
            OtherConnectionIdp { reason, .. } => reason.expected(),
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
            OtherConnectionIdp { reason, .. } => reason.actual(),
        }
    }
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

//! How identifiers are read and compared. One rule for each, used everywhere an identifier
//! is read, so that two values are the same account exactly when these functions say so.
//!
//! - Subjects (NameID, or the attribute chosen as the key), Issuers and Audiences are compared
//!   exactly as the IdP sent them, after removing XML whitespace (#x20 #x9 #xD #xA) at both
//!   ends ([`xml_trim`]): pretty-printed XML puts line breaks around element text, and those
//!   are formatting, not data. Any other character, including Unicode spaces (no-break space,
//!   em space, ideographic space, line separator, next line...), is part of the value. When
//!   whitespace was removed, the trace says so.
//! - Subjects that differ only by letter case, or (when one of them has a non-ASCII
//!   character) only by characters that look alike or are invisible ([`subject_fold`]), are
//!   different identities; a login whose subject is such a variant of an existing identity's
//!   at the same connection is denied instead of becoming a second account. Two different
//!   plain-ASCII subjects are never look-alikes: `clara` and `dara` share a skeleton.
//! - Email addresses used to find or link accounts go through [`email::canonical`].

pub mod email;

/// XML whitespace: the only characters trimmed from identifiers.
pub const XML_WHITESPACE: [char; 4] = [' ', '\t', '\r', '\n'];

/// `s` without XML whitespace at either end; every other character is kept.
pub fn xml_trim(s: &str) -> &str {
    s.trim_matches(XML_WHITESPACE)
}

/// An identifier as read from a document: the value, and whether XML whitespace was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub value: String,
    pub trimmed: bool,
}

/// Reads an identifier by the rule above.
pub fn read(raw: &str) -> Read {
    let value = xml_trim(raw);
    Read { trimmed: value.len() != raw.len(), value: value.to_owned() }
}

/// The key under which two subjects count as "the same but for case, look-alike, invisible
/// or space characters": UTS #39 skeleton of the lower-cased value, without white space. Only used to *refuse* a login
/// (never to match one), so folding more than strictly needed cannot let anyone in.
pub fn subject_fold(subject: &str) -> String {
    let lower: String = subject.to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    let skeleton: String = unicode_security::confusable_detection::skeleton(&lower).collect();
    skeleton.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

/// Longest subject accepted, in bytes. Real ones are at most a few hundred (SAML persistent
/// NameIDs: 256 characters); a longer one is refused before anything is derived from it.
pub const MAX_SUBJECT_BYTES: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_xml_whitespace_is_trimmed() {
        assert_eq!(read("\n  alice@example.com\t\r\n"), Read { value: "alice@example.com".into(), trimmed: true });
        assert_eq!(read("alice"), Read { value: "alice".into(), trimmed: false });
        for space in ['\u{a0}', '\u{2003}', '\u{3000}', '\u{2028}', '\u{85}', '\u{feff}', '\u{200b}'] {
            let raw = format!("alice{space}");
            assert_eq!(read(&raw).value, raw, "U+{:04X} is data", u32::from(space));
        }
    }

    #[test]
    fn folding_catches_case_and_look_alikes() {
        assert_eq!(subject_fold("Alice@Example.com"), subject_fold("alice@example.com"));
        assert_eq!(subject_fold("\u{212a}ate"), subject_fold("kate")); // Kelvin sign
        assert_eq!(subject_fold("\u{430}da"), subject_fold("ada")); // Cyrillic a
        assert_ne!(subject_fold("ada"), subject_fold("eve"));
        assert_eq!(subject_fold("ada\u{a0}"), subject_fold("ada")); // a no-break space is invisible on screen
    }
}

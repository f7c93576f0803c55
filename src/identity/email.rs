//! The one canonical form of an email address used to find or link accounts.
//!
//! 1. At most 320 bytes; exactly one `@`, with a non-empty local part and domain.
//! 2. No control, space or invisible character anywhere; every non-ASCII character must be
//!    allowed in identifiers by Unicode UTS #39 (which excludes invisible, compatibility and
//!    deprecated characters, such as U+212A KELVIN SIGN or full-width letters); the local part
//!    must be in Unicode NFC.
//! 3. Domain: IDNA (UTS #46) to its ASCII form, lower case (`Exämple.COM` → `xn--exmple-cua.com`).
//! 4. Local part: ASCII letters lower-cased and nothing else: no Unicode case folding, which
//!    turns some non-ASCII characters into ASCII letters (a different address would become
//!    equal to an existing one).
//! 5. An address with non-ASCII characters whose UTS #39 skeleton is plain ASCII (Cyrillic
//!    `аda@example.com`) looks like an ASCII address: it is `confusable`, never used to link,
//!    and refused when it looks like another account's address.

use std::fmt;

use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::is_nfc;
use unicode_security::GeneralSecurityProfile as _;
use unicode_security::confusable_detection::skeleton as uts39_skeleton;

/// Longest address accepted for matching (RFC 3696 errata: 320 octets).
pub const MAX_LEN: usize = 320;

/// An address in its matching form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// What accounts are found and linked by: `local@domain` per the module rule.
    pub key: String,
    /// The domain part of `key` (ASCII, lower case).
    pub domain: String,
    /// UTS #39 skeleton of the address: equal skeletons look the same on screen.
    pub skeleton: String,
    /// Non-ASCII characters that look like plain ASCII (rule 5).
    pub confusable: bool,
}

/// Why an address cannot be used to find or link an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    TooLong { bytes: usize },
    NoAt,
    SeveralAt,
    EmptyPart,
    Character { ch: char },
    NotNfc,
    Domain { detail: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::TooLong { bytes } => write!(f, "it has {bytes} bytes (at most {MAX_LEN})"),
            Problem::NoAt => f.write_str("it has no @"),
            Problem::SeveralAt => f.write_str("it has more than one @"),
            Problem::EmptyPart => f.write_str("the part before or after the @ is empty"),
            Problem::Character { ch } => {
                write!(
                    f,
                    "it contains U+{:04X}, a control, space, invisible or compatibility character",
                    u32::from(*ch)
                )
            }
            Problem::NotNfc => f.write_str("its local part is not in Unicode NFC"),
            Problem::Domain { detail } => {
                write!(f, "its domain is not a valid internationalised domain name ({detail})")
            }
        }
    }
}

fn allowed(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_graphic();
    }
    !c.is_whitespace() && !c.is_control() && c.identifier_allowed()
}

/// The canonical form of `raw` (taken exactly as given: nothing is trimmed).
pub fn canonical(raw: &str) -> Result<Canonical, Problem> {
    if raw.len() > MAX_LEN {
        return Err(Problem::TooLong { bytes: raw.len() });
    }
    if let Some(ch) = raw.chars().find(|c| !allowed(*c)) {
        return Err(Problem::Character { ch });
    }
    let (local, domain) = raw.split_once('@').ok_or(Problem::NoAt)?;
    if domain.contains('@') {
        return Err(Problem::SeveralAt);
    }
    if local.is_empty() || domain.is_empty() {
        return Err(Problem::EmptyPart);
    }
    if !is_nfc(local) {
        return Err(Problem::NotNfc);
    }
    let domain = domain_key(domain)?;
    let key = format!("{}@{domain}", local.to_ascii_lowercase());
    let shown = shown(raw);
    let skeleton = look(&shown);
    // On screen, not in transit: `xn--exmple-4nf.com` shows as Cyrillic `exаmple.com`.
    let confusable = !shown.is_ascii() && skeleton.is_ascii();
    Ok(Canonical { key, domain, skeleton, confusable })
}

/// The address as a person reads it: the domain in Unicode (punycode decoded).
fn shown(raw: &str) -> String {
    match raw.rsplit_once('@') {
        Some((local, domain)) => {
            let (unicode, _) = idna::domain_to_unicode(domain);
            format!("{local}@{unicode}")
        }
        None => raw.to_owned(),
    }
}

/// The address has a non-ASCII character on screen (its domain decoded from punycode).
pub fn shows_non_ascii(raw: &str) -> bool {
    raw.len() <= MAX_LEN && !shown(raw).is_ascii()
}

/// What an address looks like on screen: the UTS #39 skeleton of its lower-cased local part
/// and Unicode domain. Defined for any text, also one [`canonical`] refuses, so that an
/// address which cannot be matched can still be refused for looking like another one.
///
/// `None` for a value longer than an address may be: it cannot be matched, and its skeleton
/// would cost time in proportion to its length.
pub fn skeleton(raw: &str) -> Option<String> {
    (raw.len() <= MAX_LEN).then(|| look(&shown(raw)))
}

/// A domain in the canonical form (IDNA to ASCII, lower case), for comparing with the
/// domain lists of a connection.
pub fn domain_key(domain: &str) -> Result<String, Problem> {
    let ascii = idna::domain_to_ascii(domain).map_err(|e| Problem::Domain { detail: format!("{e:?}") })?;
    if ascii.is_empty() || ascii.starts_with('.') || ascii.ends_with('.') || ascii.contains("..") {
        return Err(Problem::Domain { detail: "empty label".into() });
    }
    Ok(ascii.to_ascii_lowercase())
}

/// UTS #39 skeleton, lower-cased (used only to refuse look-alikes, never to match).
fn look(s: &str) -> String {
    uts39_skeleton(&s.to_lowercase().nfc().collect::<String>()).collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> String {
        canonical(raw).map(|c| c.key).unwrap_or_else(|p| format!("refused: {p}"))
    }

    #[test]
    fn ascii_case_and_idna_domains() {
        assert_eq!(key("Ada.Lovelace@Example.COM"), "ada.lovelace@example.com");
        assert_eq!(key("ada@Exämple.com"), "ada@xn--exmple-cua.com");
        assert_eq!(key("ada@xn--exmple-cua.com"), "ada@xn--exmple-cua.com");
        assert_eq!(key("用户@例子.广告"), canonical("用户@例子.广告").unwrap().key);
        assert!(!canonical("用户@例子.广告").unwrap().confusable);
        assert!(!canonical("ada@exämple.com").unwrap().confusable);
    }

    #[test]
    fn no_unicode_case_folding_into_ascii() {
        // KELVIN SIGN lowercases to ASCII k; it is refused outright.
        assert!(key("\u{212a}ate@example.com").starts_with("refused"));
        // Dotted capital I lowercases to i + combining dot: kept distinct from "i".
        assert_ne!(key("\u{130}van@example.com"), key("ivan@example.com"));
        // Full-width letters are compatibility characters.
        assert!(key("\u{ff41}da@example.com").starts_with("refused"));
    }

    #[test]
    fn spaces_and_invisibles_are_refused() {
        for raw in [
            "ada@example.com ",
            " ada@example.com",
            "ada@example.com\u{a0}",
            "ada\u{200b}@example.com",
            "ada@example.com\u{3000}",
            "ada@exam\u{ad}ple.com",
            "ad\u{202e}a@example.com",
        ] {
            assert!(canonical(raw).is_err(), "{raw:?}");
        }
        assert_eq!(canonical("a@b@c"), Err(Problem::SeveralAt));
        assert_eq!(canonical("ada"), Err(Problem::NoAt));
        assert_eq!(canonical("@example.com"), Err(Problem::EmptyPart));
        assert_eq!(canonical("e\u{301}@example.com"), Err(Problem::NotNfc));
    }

    #[test]
    fn look_alikes_are_flagged() {
        let cyrillic = canonical("\u{430}da@example.com").unwrap();
        let latin = canonical("ada@example.com").unwrap();
        assert!(cyrillic.confusable);
        assert!(!latin.confusable);
        assert_ne!(cyrillic.key, latin.key);
        assert_eq!(cyrillic.skeleton, latin.skeleton);
        // A Cyrillic domain that looks like example.com.
        let domain = canonical("ada@ex\u{430}mple.com").unwrap();
        assert!(domain.confusable);
        assert_eq!(domain.skeleton, latin.skeleton);
        // Refused addresses still have a look: the Kelvin sign looks like k.
        assert_eq!(skeleton("\u{212a}ate@Example.com"), skeleton("kate@example.com"));
        assert_eq!(skeleton("ada@xn--exmple-cua.com"), skeleton("ADA@EXÄMPLE.COM"));
        // Punycode is read as it shows: a Cyrillic a in the domain.
        assert!(canonical("ada@xn--exmple-4nf.com").unwrap().confusable);
        assert!(shows_non_ascii("ada@xn--exmple-4nf.com"));
        assert_eq!(skeleton(&"m".repeat(400)), None);
    }
}

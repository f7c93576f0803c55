//! Small helpers that word messages: untrusted values clipped and quoted, lists cut
//! short, plurals and dates.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};

/// How many entityIDs an error message lists before it says "and N more".
pub(super) const LISTED_IDS: usize = 10;
/// Longest stretch of an untrusted value (entityID, attribute) echoed in a message.
const ECHO_CHARS: usize = 200;

/// Removes duplicates, keeping the first occurrence's position. Linear: a hostile
/// document may list a million NameIDFormats.
pub(super) fn dedup<T: Eq + std::hash::Hash + Clone>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().filter(|item| seen.insert(item.clone())).collect()
}

/// At most [`ECHO_CHARS`] characters of an untrusted value.
pub(super) fn clip(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(ECHO_CHARS) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => {
            let head = s.get(..cut).unwrap_or_default();
            Cow::Owned(format!("{head}… ({} characters in all)", s.chars().count()))
        }
    }
}

/// A clipped value in double quotes, control characters escaped.
pub(super) fn quote(s: &str) -> String {
    format!("{:?}", clip(s))
}

/// "a, b, c" (each clipped), "(none)", or the first [`LISTED_IDS`] and "and N more".
pub(super) fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        return "(none)".to_owned();
    }
    let mut out = items.iter().take(LISTED_IDS).map(|s| clip(s).into_owned()).collect::<Vec<_>>().join(", ");
    if items.len() > LISTED_IDS {
        out.push_str(&format!(" and {} more", items.len() - LISTED_IDS));
    }
    out
}

/// "a, b, c" or "a, b, c and 22 more" when `total` exceeds what is listed.
pub(super) fn id_list(listed: &[String], total: usize) -> String {
    let mut out = listed.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    if total > listed.len() {
        out.push_str(&format!(" and {} more", total - listed.len()));
    }
    out
}

pub(super) fn aggregate_label(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("the aggregate {}", quote(name)),
        None => "the aggregate (EntitiesDescriptor)".to_owned(),
    }
}

pub(super) fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

pub(super) fn date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_char_boundaries() {
        let long = "é".repeat(ECHO_CHARS + 5);
        let clipped = clip(&long);
        assert!(clipped.starts_with(&"é".repeat(ECHO_CHARS)));
        assert!(clipped.ends_with(&format!("({} characters in all)", ECHO_CHARS + 5)));
        assert_eq!(clip("short"), "short");
    }
}

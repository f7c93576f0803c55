//! Attribute mapping: how the attributes of a verified assertion become a user's fields,
//! with a trace of every step so an admin can see why a field got (or missed) its value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::validate::{Attribute, NameId};

/// The standard target fields; any other target name is a custom field.
pub const STANDARD_FIELDS: [&str; 6] = ["email", "username", "given_name", "family_name", "display_name", "groups"];

/// What a login presents to the mapping: the subject and attributes of a verified assertion
/// (or a plain attribute set, for dry runs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Claims {
    pub name_id: Option<NameId>,
    pub attributes: Vec<Attribute>,
    /// What the protocol adapter noted while reading the claims (an OIDC claim merged with a
    /// dotted one, a string boolean, claims left out past a limit); copied into the trace.
    /// Left out of the JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Source {
    NameId,
    Attribute {
        name: String,
        /// Match the Name ignoring letter case (off by default: SAML names are case-sensitive).
        #[serde(default)]
        case_insensitive: bool,
        /// When no attribute has this Name, take one whose FriendlyName is this.
        #[serde(default = "yes")]
        friendly_name_fallback: bool,
        /// Only an attribute with this NameFormat matches (any when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name_format: Option<String>,
    },
    Constant {
        value: String,
    },
    /// `{placeholder}`s name a mapped field, an attribute Name or FriendlyName, or the last
    /// path segment of a claim URI (`{givenname}` finds `.../claims/givenname`).
    Template {
        template: String,
    },
    /// A field mapped earlier (role rules usually read `groups`).
    Field {
        name: String,
    },
    /// The first of several candidates that has a value, because IdPs name the same claim
    /// differently (`email`, `mail`, a claim URI, an `urn:oid:` name): each name in order, as an
    /// attribute Name or else a FriendlyName, exactly as written; then, with `name_id_email`, a
    /// NameID whose Format is emailAddress and whose value is an address; then the `otherwise`
    /// template. A name `*/roles` stands for any namespaced claim (a name starting with
    /// `https://` or `http://`) ending in `/roles`, the first one that arrived: OIDC custom
    /// claims are namespaced by each tenant (`https://example.com/roles`).
    FirstOf {
        names: Vec<String>,
        #[serde(default)]
        name_id_email: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        otherwise: Option<String>,
    },
}

fn yes() -> bool {
    true
}

impl Source {
    pub fn attribute(name: &str) -> Self {
        Source::Attribute {
            name: name.to_owned(),
            case_insensitive: false,
            friendly_name_fallback: true,
            name_format: None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Source::NameId => "NameID".into(),
            Source::Attribute { name, case_insensitive, .. } => {
                format!("attribute {name}{}", if *case_insensitive { " (any case)" } else { "" })
            }
            Source::Constant { value } => format!("constant {value:?}"),
            Source::Template { template } => format!("template {template:?}"),
            Source::Field { name } => format!("field {name}"),
            Source::FirstOf { names, name_id_email, otherwise } => {
                let mut all: Vec<String> = names.clone();
                if *name_id_email {
                    all.push("an email-format NameID".into());
                }
                if let Some(t) = otherwise {
                    all.push(format!("template {t:?}"));
                }
                format!("the first present of {}", all.join(", "))
            }
        }
    }
}

/// One step applied to the list of values, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Transform {
    /// Removes XML whitespace (space, tab, CR, LF) at both ends; other spaces are data.
    Trim,
    /// Unicode lower case that never turns a non-ASCII character into ASCII.
    Lowercase,
    /// Splits every value on `delimiter` (for IdPs that send one comma-separated string);
    /// pieces are trimmed and empty pieces dropped.
    Split {
        delimiter: String,
    },
    /// Keeps capture group `group` (default 1) of `pattern`; values that do not match are dropped.
    Regex {
        pattern: String,
        #[serde(default = "one")]
        group: usize,
    },
    First,
    All,
}

fn one() -> usize {
    1
}

impl Transform {
    pub fn describe(&self) -> String {
        match self {
            Transform::Trim => "trim".into(),
            Transform::Lowercase => "lowercase".into(),
            Transform::Split { delimiter } => format!("split on {delimiter:?}"),
            Transform::Regex { pattern, group } => format!("regex {pattern:?} group {group}"),
            Transform::First => "first value".into(),
            Transform::All => "all values".into(),
        }
    }
}

/// How one target field is filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct FieldRule {
    pub target: String,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transforms: Vec<Transform>,
    #[serde(default)]
    pub required: bool,
}

impl FieldRule {
    pub fn new(target: &str, source: Source) -> Self {
        FieldRule { target: target.to_owned(), source, transforms: Vec::new(), required: false }
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn with(mut self, t: Transform) -> Self {
        self.transforms.push(t);
        self
    }
    /// `groups` and custom fields ending in `[]` keep every value; others take the first.
    pub fn is_multi_valued(&self) -> bool {
        self.target == "groups"
    }
}

/// One candidate of a [`Source::FirstOf`] as it was tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct CandidateTrace {
    /// The attribute name, `NameID (email format)` or the template.
    pub candidate: String,
    pub matched: bool,
}

/// One transform as it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct StepTrace {
    pub transform: String,
    pub output: Vec<String>,
}

/// Why a field got its value, or did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct FieldTrace {
    pub target: String,
    pub source: String,
    /// What the source read, before transforms.
    pub raw: Vec<String>,
    pub steps: Vec<StepTrace>,
    /// The final values (one for single-valued fields).
    pub value: Vec<String>,
    pub matched: bool,
    pub required: bool,
    /// Near misses: the attribute exists under another case, only as FriendlyName, with
    /// another NameFormat, or as one delimited string.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    /// For a source with candidates: each one tried, in order, up to the one that matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tried: Vec<CandidateTrace>,
}

/// Finds the values of an attribute source, with near-miss hints when it finds nothing.
fn read_attribute(claims: &Claims, source: &Source) -> (Vec<String>, Vec<String>) {
    let Source::Attribute { name, case_insensitive, friendly_name_fallback, name_format } = source else {
        return (Vec::new(), Vec::new());
    };
    let format_ok = |a: &Attribute| name_format.as_ref().is_none_or(|f| a.name_format.as_deref() == Some(f.as_str()));
    let by_name = |a: &Attribute| if *case_insensitive { a.name.eq_ignore_ascii_case(name) } else { a.name == *name };
    let values: Vec<String> = claims
        .attributes
        .iter()
        .filter(|a| by_name(a) && format_ok(a))
        .flat_map(|a| a.values.iter().cloned())
        .collect();
    if !values.is_empty() {
        return (values, Vec::new());
    }
    if *friendly_name_fallback {
        let friendly: Vec<String> = claims
            .attributes
            .iter()
            .filter(|a| a.friendly_name.as_deref() == Some(name.as_str()) && format_ok(a))
            .flat_map(|a| a.values.iter().cloned())
            .collect();
        if !friendly.is_empty() {
            return (
                friendly,
                vec![format!("no attribute is named {name:?}; used the one whose FriendlyName is {name:?}")],
            );
        }
    }
    let mut hints = Vec::new();
    for a in &claims.attributes {
        if !*case_insensitive && a.name != *name && a.name.eq_ignore_ascii_case(name) {
            hints.push(format!("an attribute is named {:?}: same name in another letter case (turn on case-insensitive matching or fix the name)", a.name));
        }
        if a.name == *name && !format_ok(a) {
            hints.push(format!(
                "attribute {:?} arrived with NameFormat {:?}, the rule wants {:?}",
                a.name,
                a.name_format.as_deref().unwrap_or("(none)"),
                name_format.as_deref().unwrap_or_default()
            ));
        }
        if !*friendly_name_fallback && a.friendly_name.as_deref() == Some(name.as_str()) {
            hints.push(format!("attribute {:?} has FriendlyName {name:?} (FriendlyName fallback is off)", a.name));
        }
        if name.len() > 2
            && a.name.rsplit('/').next().is_some_and(|last| last.eq_ignore_ascii_case(name))
            && a.name != *name
        {
            hints.push(format!("attribute {:?} ends in {name:?}: use its full claim URI", a.name));
        }
    }
    (Vec::new(), hints)
}

/// Resolves one `{placeholder}` of a template.
fn placeholder(claims: &Claims, mapped: &BTreeMap<String, Vec<String>>, key: &str) -> Option<String> {
    if key == "name_id" {
        return claims.name_id.as_ref().map(|n| n.value.clone());
    }
    if let Some(v) = mapped.get(key).and_then(|v| v.first()) {
        return Some(v.clone());
    }
    let attr = claims
        .attributes
        .iter()
        .find(|a| a.name == key)
        .or_else(|| claims.attributes.iter().find(|a| a.friendly_name.as_deref() == Some(key)))
        .or_else(|| claims.attributes.iter().find(|a| a.name.rsplit('/').next() == Some(key)));
    attr.and_then(|a| a.values.first().cloned())
}

fn render_template(template: &str, claims: &Claims, mapped: &BTreeMap<String, Vec<String>>) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut missing = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        let Some(close) = after.find('}') else {
            out.push_str(rest.get(open..).unwrap_or_default());
            rest = "";
            break;
        };
        let key = after.get(..close).unwrap_or_default();
        match placeholder(claims, mapped, key) {
            Some(v) => out.push_str(&v),
            None => missing.push(key.to_owned()),
        }
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    (out.split_whitespace().collect::<Vec<_>>().join(" "), missing)
}

/// Reads a source: its values and near-miss hints.
pub fn read_source(
    source: &Source,
    claims: &Claims,
    mapped: &BTreeMap<String, Vec<String>>,
) -> (Vec<String>, Vec<String>) {
    match source {
        Source::NameId => (claims.name_id.iter().map(|n| n.value.clone()).collect(), Vec::new()),
        Source::Attribute { .. } => read_attribute(claims, source),
        Source::Constant { value } => (vec![value.clone()], Vec::new()),
        Source::Template { template } => {
            let (text, missing) = render_template(template, claims, mapped);
            let hints = missing.iter().map(|m| format!("placeholder {{{m}}} matched no field or attribute")).collect();
            (if text.is_empty() { Vec::new() } else { vec![text] }, hints)
        }
        Source::Field { name } => (mapped.get(name).cloned().unwrap_or_default(), Vec::new()),
        Source::FirstOf { .. } => {
            let (values, hints, _) = read_first_of(source, claims, mapped);
            (values, hints)
        }
    }
}

/// Near-miss hints kept for one candidate list.
const MAX_CANDIDATE_HINTS: usize = 8;

/// Reads a [`Source::FirstOf`]: the values of the first candidate that has any, the near-miss
/// hints of every name when none has, and each candidate tried, up to the match.
fn read_first_of(
    source: &Source,
    claims: &Claims,
    mapped: &BTreeMap<String, Vec<String>>,
) -> (Vec<String>, Vec<String>, Vec<CandidateTrace>) {
    let Source::FirstOf { names, name_id_email, otherwise } = source else {
        return (Vec::new(), Vec::new(), Vec::new());
    };
    let mut tried = Vec::new();
    let mut hints = Vec::new();
    for name in names {
        if let Some(suffix) = name.strip_prefix('*').filter(|s| s.starts_with('/')) {
            let found = claims.attributes.iter().find(|a| {
                (a.name.starts_with("https://") || a.name.starts_with("http://"))
                    && a.name.ends_with(suffix)
                    && !a.values.is_empty()
            });
            tried.push(CandidateTrace {
                candidate: found.map_or_else(|| name.clone(), |a| format!("{} (for {name})", a.name)),
                matched: found.is_some(),
            });
            if let Some(a) = found {
                return (a.values.clone(), Vec::new(), tried);
            }
            continue;
        }
        let (values, found_hints) = read_attribute(claims, &Source::attribute(name));
        let matched = !values.is_empty();
        tried.push(CandidateTrace { candidate: name.clone(), matched });
        if matched {
            // Only the FriendlyName note is worth keeping for the one that matched.
            return (values, found_hints, tried);
        }
        // A few near misses say enough; a hostile login could make every name miss many times.
        hints.extend(found_hints.into_iter().take(MAX_CANDIDATE_HINTS.saturating_sub(hints.len())));
    }
    if *name_id_email {
        // The Format is only the IdP's word: the value must be an address too.
        let email_id = claims.name_id.as_ref().filter(|n| {
            n.format.as_deref() == Some(crate::saml::NAMEID_EMAIL)
                && crate::identity::email::canonical(crate::identity::xml_trim(&n.value)).is_ok()
        });
        tried.push(CandidateTrace { candidate: "NameID (email format)".into(), matched: email_id.is_some() });
        if let Some(n) = email_id {
            return (vec![n.value.clone()], Vec::new(), tried);
        }
    }
    if let Some(template) = otherwise {
        let (values, template_hints) = read_source(&Source::Template { template: template.clone() }, claims, mapped);
        let matched = !values.is_empty();
        tried.push(CandidateTrace { candidate: format!("template {template:?}"), matched });
        if matched {
            return (values, Vec::new(), tried);
        }
        hints.extend(template_hints);
        hints.truncate(MAX_CANDIDATE_HINTS);
    }
    (Vec::new(), hints, tried)
}

/// Compiles a regex with bounds: admins write these, hostile values are matched against them.
pub fn compile_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("invalid regular expression {pattern:?}: {e}"))
}

/// Unicode lower case of the characters the identifier rules accept, and nothing else: a
/// character they refuse stays as it is, so lowercasing can never turn a refused value into
/// an accepted one that equals someone else's. U+212A KELVIN SIGN would become `k` and
/// U+212B ANGSTROM SIGN `å` (both are compatibility characters, refused in addresses);
/// U+0130 would become `i` + a combining dot. No character becomes ASCII that was not.
fn lowercase(value: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_security::GeneralSecurityProfile as _;
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        let stable = c.identifier_allowed() && unicode_normalization::is_nfc(c.encode_utf8(&mut [0; 4]));
        let lower: String = c.to_lowercase().collect();
        if !stable || lower.chars().any(|l| l.is_ascii() || is_combining_mark(l)) {
            out.push(c);
        } else {
            out.push_str(&lower);
        }
    }
    out
}

fn apply(t: &Transform, values: Vec<String>) -> Vec<String> {
    match t {
        Transform::Trim => values.into_iter().map(|v| crate::identity::xml_trim(&v).to_owned()).collect(),
        Transform::Lowercase => values.into_iter().map(|v| lowercase(&v)).collect(),
        Transform::Split { delimiter } if !delimiter.is_empty() => values
            .iter()
            .flat_map(|v| v.split(delimiter.as_str()))
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        Transform::Split { .. } => values,
        Transform::Regex { pattern, group } => match compile_regex(pattern) {
            Ok(re) => values
                .iter()
                .filter_map(|v| re.captures(v).and_then(|c| c.get(*group)).map(|m| m.as_str().to_owned()))
                .collect(),
            Err(_) => Vec::new(),
        },
        Transform::First => values.into_iter().take(1).collect(),
        Transform::All => values,
    }
}

/// Runs one field rule.
pub fn map_field(rule: &FieldRule, claims: &Claims, mapped: &BTreeMap<String, Vec<String>>) -> FieldTrace {
    let (raw, mut hints, tried) = match &rule.source {
        Source::FirstOf { .. } => read_first_of(&rule.source, claims, mapped),
        other => {
            let (raw, hints) = read_source(other, claims, mapped);
            (raw, hints, Vec::new())
        }
    };
    // The trace names the candidate that matched, the rule's description otherwise.
    let source = match tried.iter().enumerate().find(|(_, c)| c.matched) {
        Some((k, c)) => {
            let kind = if c.candidate.starts_with("NameID") || c.candidate.starts_with("template") {
                ""
            } else {
                "attribute "
            };
            format!("{kind}{} (the first present: candidate {} of {})", c.candidate, k + 1, candidates(&rule.source))
        }
        None => rule.source.describe(),
    };
    let mut values = raw.clone();
    let mut steps = Vec::new();
    for t in &rule.transforms {
        values = apply(t, values);
        steps.push(StepTrace { transform: t.describe(), output: values.clone() });
    }
    let explicit_all = rule.transforms.iter().any(|t| matches!(t, Transform::All));
    if !rule.is_multi_valued() && !explicit_all {
        values.truncate(1);
    }
    values.retain(|v| !v.is_empty());
    if rule.is_multi_valued()
        && raw.len() == 1
        && values.len() == 1
        && !rule.transforms.iter().any(|t| matches!(t, Transform::Split { .. }))
        && let Some(sep) = [",", ";", "|"].into_iter().find(|d| raw.first().is_some_and(|v| v.contains(d)))
    {
        hints.push(format!("one value holds several items separated by {sep:?}: add a split transform on {sep:?}"));
    }
    FieldTrace {
        target: rule.target.clone(),
        source,
        raw,
        steps,
        matched: !values.is_empty(),
        value: values,
        required: rule.required,
        hints,
        tried,
    }
}

/// How many candidates a source tries.
fn candidates(source: &Source) -> usize {
    match source {
        Source::FirstOf { names, name_id_email, otherwise } => {
            names.len() + usize::from(*name_id_email) + usize::from(otherwise.is_some())
        }
        _ => 1,
    }
}

/// Checks a mapping document for mistakes an admin can fix before it is saved.
pub fn check_field_rules(rules: &[FieldRule]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for r in rules {
        if let Source::FirstOf { names, name_id_email, otherwise } = &r.source
            && names.iter().all(|n| n.trim().is_empty())
            && !*name_id_email
            && otherwise.is_none()
        {
            return Err(format!("field {:?} lists no attribute name to try", r.target));
        }
        let custom_ok = r.target.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if r.target.is_empty() || r.target.len() > 64 || !custom_ok {
            return Err(format!("field name {:?}: use 1 to 64 lower-case letters, digits or '_'", r.target));
        }
        if !seen.insert(r.target.as_str()) {
            return Err(format!("field {:?} is mapped twice", r.target));
        }
        for t in &r.transforms {
            if let Transform::Regex { pattern, group } = t {
                let re = compile_regex(pattern)?;
                if *group >= re.captures_len() {
                    return Err(format!("regex {pattern:?} has no capture group {group}"));
                }
            }
            if let Transform::Split { delimiter } = t
                && delimiter.is_empty()
            {
                return Err("a split transform needs a non-empty delimiter".into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20,000 attributes that each nearly match every default name (another letter case):
    /// the default mapping still reads them quickly, and keeps a few hints, not 20,000 each.
    #[test]
    fn candidate_lists_keep_a_few_hints_on_hostile_near_misses() {
        let names = ["EMAIL", "MAIL", "GIVENNAME", "SN", "GROUPS", "DISPLAYNAME"];
        let attributes = (0..20_000)
            .map(|i| Attribute {
                name: names.get(i % names.len()).copied().unwrap_or("X").to_owned(),
                name_format: None,
                friendly_name: None,
                values: vec![format!("v{i}")],
            })
            .collect();
        let claims = Claims { name_id: None, attributes, notes: Vec::new() };
        let started = std::time::Instant::now();
        let doc = super::super::presets::generic();
        let mapped = BTreeMap::new();
        for rule in &doc.fields {
            let t = map_field(rule, &claims, &mapped);
            assert!(!t.matched, "{}: exact names only", t.target);
            assert!(t.hints.len() <= MAX_CANDIDATE_HINTS, "{}: {} hints", t.target, t.hints.len());
        }
        println!("default mapping over 20,000 near-miss attributes: {:?}", started.elapsed());
    }
}

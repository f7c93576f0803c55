//! The connection's mapping document (fields, role rules, access rules, provisioning policy)
//! and its evaluation into a profile, with a trace of every rule.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::mapping::{Claims, FieldRule, FieldTrace, Source, check_field_rules, compile_regex, map_field, read_source};
use crate::login::Denial;

/// When a role rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum Op {
    /// Some value equals `value`.
    Equals,
    /// Some value contains `value`.
    Contains,
    /// Some value matches the regular expression `value`.
    Matches,
    /// Some value is one of `values`.
    OneOf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct RoleRule {
    pub source: Source,
    pub op: Op,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    #[serde(default)]
    pub case_insensitive: bool,
    pub grant: String,
}

/// What happens when no role rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum NoMatch {
    /// Grant `default_role` (or no role when none is set).
    #[default]
    DefaultRole,
    /// Refuse the login.
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Roles {
    pub rules: Vec<RoleRule>,
    /// Left out of the JSON when unset (`default` also tells the TypeScript bindings so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<String>,
    pub when_none_match: NoMatch,
}

/// Who may get in at all, checked before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Access {
    /// When not empty, the email's domain must be one of these.
    pub allowed_email_domains: Vec<String>,
    /// When not empty, the user must be in at least one of these groups.
    pub required_groups: Vec<String>,
    /// Emails or subjects that are refused (case-insensitive).
    pub deny: Vec<String>,
    /// The IdP must say the address is verified: an `email_verified` claim that is true (OIDC
    /// Core §5.1; the string `"true"` some OPs send is read as true). Absent or false: denied.
    pub require_email_verified: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum UpdatePolicy {
    /// Mapped fields are rewritten at every login.
    #[default]
    EveryLogin,
    /// Mapped fields are written when the account is created, or on the first SSO login of
    /// a pre-provisioned or linked account, then left alone.
    FirstLogin,
    /// SSO never changes an existing account's fields (new accounts still get them).
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum RoleSync {
    /// The roles become exactly the roles the rules grant.
    #[default]
    Replace,
    /// Granted roles are added; roles are never removed by SSO.
    Add,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Provisioning {
    /// Create accounts at first login. Off: only existing accounts may log in.
    pub jit: bool,
    pub update: UpdatePolicy,
    pub role_sync: RoleSync,
    /// Link a login to an existing account with the same email.
    pub link_by_email: bool,
    /// Email domains this connection's IdP is trusted for when linking.
    pub verified_domains: Vec<String>,
    /// Accounts holding one of these roles are never linked automatically.
    pub admin_roles: Vec<String>,
    /// JIT, SCIM or both, and who owns each field (src/provision/lifecycle.rs).
    pub lifecycle: super::lifecycle::Lifecycle,
}

impl Default for Provisioning {
    fn default() -> Self {
        Provisioning {
            jit: true,
            update: UpdatePolicy::EveryLogin,
            role_sync: RoleSync::Replace,
            link_by_email: false,
            verified_domains: Vec::new(),
            admin_roles: vec!["admin".into(), "owner".into()],
            lifecycle: super::lifecycle::Lifecycle::default(),
        }
    }
}

/// Everything an admin configures about how a login becomes a user.
/// `mapping show --json` prints it; `mapping set` takes it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MappingDocument {
    /// The stable key of a user: NameID by default; an immutable attribute (Entra's
    /// objectidentifier) when the IdP sends transient NameIDs.
    pub subject: Source,
    pub fields: Vec<FieldRule>,
    pub roles: Roles,
    pub access: Access,
    pub provisioning: Provisioning,
}

impl Default for MappingDocument {
    /// A generic mapping: NameID subject, `email` attribute (required), common names.
    fn default() -> Self {
        super::presets::generic()
    }
}

impl MappingDocument {
    pub fn check(&self) -> Result<(), String> {
        check_field_rules(&self.fields)?;
        self.provisioning.lifecycle.check()?;
        for r in &self.roles.rules {
            if r.grant.trim().is_empty() {
                return Err("a role rule grants an empty role".into());
            }
            match r.op {
                Op::Matches => {
                    compile_regex(&r.value)?;
                }
                Op::OneOf if r.values.is_empty() => {
                    return Err(format!("role rule for {:?} needs values for one_of", r.grant));
                }
                Op::Equals | Op::Contains if r.value.is_empty() => {
                    return Err(format!("role rule for {:?} needs a value", r.grant));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct RuleTrace {
    pub rule: String,
    pub values: Vec<String>,
    pub matched: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AccessTrace {
    pub rule: String,
    pub passed: bool,
    pub detail: String,
}

/// The full explanation of a mapping run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Trace {
    pub subject: Option<FieldTrace>,
    pub fields: Vec<FieldTrace>,
    pub roles: Vec<RuleTrace>,
    pub access: Vec<AccessTrace>,
    /// Linking by email: every condition checked, in order, with what it found
    /// (src/provision/linking.rs). Empty when no account had the login's address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linking: Vec<AccessTrace>,
    /// Fields the login did not write because SCIM owns them (lifecycle `hybrid` or `scim`,
    /// on an account with a live SCIM resource). Each is also a sentence in `notes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ownership: Vec<OwnershipNote>,
    /// Left out of the JSON when empty (`default` also tells the TypeScript bindings so).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A field a login did not write: what the login said, what the account keeps, and who owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct OwnershipNote {
    pub field: String,
    pub login_value: serde_json::Value,
    pub kept_value: serde_json::Value,
    pub owner: super::lifecycle::Owner,
}

impl OwnershipNote {
    /// "groups: owned by SCIM; the login's [sales] was not written (the account keeps
    /// [engineering])".
    pub fn sentence(&self) -> String {
        format!(
            "{}: {}; the login's {} was not written (the account keeps {})",
            self.field,
            self.owner.describe(),
            shown(&self.login_value),
            shown(&self.kept_value)
        )
    }
}

/// A value as an admin reads it: lists as `[a, b]`, text quoted, nothing as `nothing`.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "nothing".into(),
        serde_json::Value::Array(items) => {
            let items: Vec<String> =
                items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned)).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// A user record as mapping produced it (before provisioning merges it with an account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Profile {
    pub subject: String,
    pub email: Option<String>,
    pub username: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub custom: BTreeMap<String, String>,
}

/// Entra ID sends this instead of the groups when a user is in too many (over 150 in SAML).
const GROUPS_LINK: &str = "http://schemas.microsoft.com/claims/groups.link";
/// In an ID token (over 200 groups) Entra ID sends `"_claim_names": {"groups": "src1"}` and
/// the Graph endpoint in `_claim_sources.src1.endpoint` (OIDC Core §5.6.2 distributed claims).
const CLAIM_NAMES_GROUPS: &str = "_claim_names.groups";
/// What an IdP sends instead of the groups when there are too many for the token.
const OVERAGE_MARKERS: [&str; 2] = [GROUPS_LINK, CLAIM_NAMES_GROUPS];

/// What the claims say about the address being verified by the IdP (`email_verified`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailVerified {
    /// No `email_verified` claim (SAML IdPs and Entra ID send none).
    Absent,
    Verified,
    /// The IdP says the address is not verified.
    Unverified,
    /// Present but not readable as true or false (or several values that disagree).
    Unreadable(String),
}

impl EmailVerified {
    /// Reads the `email_verified` claim: a boolean (flattened to `true`/`false`) or the
    /// strings `"true"`/`"false"` in any case, as Amazon Cognito and Entra ID send them. Every
    /// value must agree.
    pub fn of(claims: &Claims) -> Self {
        let sent: Vec<&crate::validate::Attribute> =
            claims.attributes.iter().filter(|a| a.name == crate::oidc::claims::EMAIL_VERIFIED).collect();
        let values: Vec<&String> = sent.iter().flat_map(|a| a.values.iter()).collect();
        let read: Vec<Option<bool>> = values.iter().map(|v| crate::oidc::claims::string_bool(v)).collect();
        if sent.is_empty() {
            EmailVerified::Absent
        } else if values.is_empty() {
            // `"email_verified": []` or `[null]`: sent, but saying nothing.
            EmailVerified::Unreadable("(no value)".into())
        } else if read.iter().all(|r| *r == Some(true)) {
            EmailVerified::Verified
        } else if read.iter().all(|r| *r == Some(false)) {
            EmailVerified::Unverified
        } else {
            EmailVerified::Unreadable(values.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "))
        }
    }

    /// The claim, as the trace and a denial show it.
    pub fn describe(&self) -> String {
        match self {
            EmailVerified::Absent => "no email_verified claim arrived".into(),
            EmailVerified::Verified => "email_verified is true".into(),
            EmailVerified::Unverified => "email_verified is false".into(),
            EmailVerified::Unreadable(v) => format!("email_verified is {v:?}, neither true nor false"),
        }
    }
}

fn matches_rule(rule: &RoleRule, value: &str) -> bool {
    let (v, target) = if rule.case_insensitive {
        (value.to_lowercase(), rule.value.to_lowercase())
    } else {
        (value.to_owned(), rule.value.clone())
    };
    match rule.op {
        Op::Equals => v == target,
        Op::Contains => v.contains(&target),
        Op::Matches => compile_regex(&rule.value).is_ok_and(|re| re.is_match(value)),
        Op::OneOf => {
            rule.values.iter().any(|x| if rule.case_insensitive { x.eq_ignore_ascii_case(value) } else { x == value })
        }
    }
}

fn describe_rule(rule: &RoleRule) -> String {
    let what = match rule.op {
        Op::Equals => format!("equals {:?}", rule.value),
        Op::Contains => format!("contains {:?}", rule.value),
        Op::Matches => format!("matches /{}/", rule.value),
        Op::OneOf => format!("is one of {:?}", rule.values),
    };
    format!("when {} {what} → grant {:?}", rule.source.describe(), rule.grant)
}

/// Says which overage marker arrived and where the IdP says the groups are.
fn overage_note(claims: &Claims, marker: &crate::validate::Attribute) -> String {
    if marker.name == GROUPS_LINK {
        return format!(
            "group overage (Entra ID, SAML): the assertion carries {GROUPS_LINK} ({}) instead of the groups",
            marker.values.first().map_or("no link", String::as_str)
        );
    }
    // `_claim_names.groups` names a source; `_claim_sources.<source>.endpoint` is the link.
    let source = marker.values.first().map_or("", String::as_str);
    let endpoint_name = format!("_claim_sources.{source}.endpoint");
    let endpoint = claims.attributes.iter().find(|a| a.name == endpoint_name).and_then(|a| a.values.first());
    format!(
        "group overage (Entra ID, OIDC): the ID token carries {CLAIM_NAMES_GROUPS} = {source:?} instead of the groups; \
         {endpoint_name} is {}",
        endpoint.map_or_else(|| "absent".to_owned(), |e| format!("{e:?} (a Graph API link)"))
    )
}

/// The domain of an address in its canonical form; none for an address that cannot be
/// used for matching (an access rule on domains then fails closed).
fn domain_of(email: &str) -> Option<String> {
    crate::identity::email::canonical(email).ok().map(|c| c.domain)
}

/// Maps claims into a profile, evaluating access and role rules. `Err` is a denial; the
/// trace is complete either way.
pub fn evaluate(doc: &MappingDocument, claims: &Claims) -> (Trace, Result<Profile, Denial>) {
    let mut trace = Trace { notes: claims.notes.clone(), ..Trace::default() };
    let mut mapped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rule in &doc.fields {
        let t = map_field(rule, claims, &mapped);
        mapped.insert(rule.target.clone(), t.value.clone());
        trace.fields.push(t);
    }
    let subject_rule = FieldRule::new("subject", doc.subject.clone());
    let mut subject_trace = map_field(&subject_rule, claims, &mapped);
    // The identifier rule (crate::identity): XML whitespace at the ends is formatting;
    // everything else, a no-break space included, is part of the subject.
    if let Some(first) = subject_trace.value.first_mut() {
        let read = crate::identity::read(first);
        if read.trimmed {
            subject_trace.hints.push(format!(
                "XML whitespace (spaces, tabs, line breaks) around {first:?} was removed; any other character would be part of the subject"
            ));
            *first = read.value;
        }
    }
    let subject = subject_trace.value.first().cloned();
    trace.subject = Some(subject_trace);
    let result = decide(doc, claims, &mapped, subject, &mut trace);
    (trace, result)
}

fn decide(
    doc: &MappingDocument,
    claims: &Claims,
    mapped: &BTreeMap<String, Vec<String>>,
    subject: Option<String>,
    trace: &mut Trace,
) -> Result<Profile, Denial> {
    let Some(subject) = subject.filter(|s| !s.is_empty()) else {
        return Err(Denial::MissingSubject { source: doc.subject.describe() });
    };
    if let Some(missing) = trace.fields.iter().find(|f| f.required && !f.matched) {
        return Err(Denial::MissingAttribute {
            field: missing.target.clone(),
            source: missing.source.clone(),
            arrived: claims.attributes.iter().map(|a| a.name.clone()).collect(),
            near_miss: missing.hints.first().cloned(),
            fix: super::fix::suggest(&missing.target, claims).map(Box::new),
        });
    }
    let groups_mapped = doc.fields.iter().any(|f| f.target == "groups");
    let groups = mapped.get("groups").cloned().unwrap_or_default();
    if groups_mapped
        && groups.is_empty()
        && let Some(marker) = claims.attributes.iter().find(|a| OVERAGE_MARKERS.contains(&a.name.as_str()))
    {
        trace.notes.push(overage_note(claims, marker));
        return Err(Denial::GroupOverage);
    }
    let first = |k: &str| mapped.get(k).and_then(|v| v.first()).cloned();
    // As mapped: matching uses the canonical form (crate::identity::email), display keeps this.
    let email = first("email");

    // Access rules, before anything is written.
    if !doc.access.allowed_email_domains.is_empty() {
        let domain = email.as_deref().and_then(domain_of);
        let ok = domain.as_ref().is_some_and(|d| {
            doc.access
                .allowed_email_domains
                .iter()
                .any(|a| crate::identity::email::domain_key(a).is_ok_and(|a| a == *d))
        });
        trace.access.push(AccessTrace {
            rule: format!("email domain is one of {:?}", doc.access.allowed_email_domains),
            passed: ok,
            detail: format!("domain {}", domain.as_deref().unwrap_or("(no email)")),
        });
        if !ok {
            return Err(Denial::DomainNotAllowed { domain });
        }
    }
    if !doc.access.required_groups.is_empty() {
        let hit = groups.iter().find(|g| doc.access.required_groups.contains(g));
        trace.access.push(AccessTrace {
            rule: format!("member of one of {:?}", doc.access.required_groups),
            passed: hit.is_some(),
            detail: format!("groups {:?}", groups),
        });
        if hit.is_none() {
            return Err(Denial::MissingRequiredGroup {
                required: doc.access.required_groups.clone(),
                received: groups,
            });
        }
    }
    let verified = EmailVerified::of(claims);
    if doc.access.require_email_verified || verified != EmailVerified::Absent {
        let passed = !doc.access.require_email_verified || verified == EmailVerified::Verified;
        let rule = if doc.access.require_email_verified {
            "the IdP verified the email (email_verified is true)"
        } else {
            "the IdP verified the email (not required by this connection; an unverified address is never linked)"
        };
        trace.access.push(AccessTrace { rule: rule.into(), passed, detail: verified.describe() });
        if !passed {
            return Err(Denial::EmailUnverified { email, claim: verified.describe(), account: None });
        }
    }
    if !doc.access.deny.is_empty() {
        let denied =
            doc.access.deny.iter().find(|d| {
                d.eq_ignore_ascii_case(&subject) || email.as_deref().is_some_and(|e| d.eq_ignore_ascii_case(e))
            });
        trace.access.push(AccessTrace {
            rule: "not on the deny list".into(),
            passed: denied.is_none(),
            detail: denied.map(|d| format!("{d} is listed")).unwrap_or_else(|| "not listed".into()),
        });
        if let Some(d) = denied {
            return Err(Denial::DeniedByList { entry: d.clone() });
        }
    }

    // Role rules, in order; each matching rule grants its role.
    let mut roles: Vec<String> = Vec::new();
    for rule in &doc.roles.rules {
        let (values, _) = read_source(&rule.source, claims, mapped);
        let hit = values.iter().find(|v| matches_rule(rule, v)).cloned();
        if hit.is_some() && !roles.contains(&rule.grant) {
            roles.push(rule.grant.clone());
        }
        trace.roles.push(RuleTrace {
            rule: describe_rule(rule),
            values,
            matched: hit.is_some(),
            grant: hit.as_ref().map(|_| rule.grant.clone()),
            matched_value: hit,
        });
    }
    if roles.is_empty() {
        match (doc.roles.when_none_match, &doc.roles.default_role) {
            (NoMatch::Deny, _) => {
                return Err(Denial::NoRole);
            }
            (NoMatch::DefaultRole, Some(default)) => {
                trace.roles.push(RuleTrace {
                    rule: format!("no rule matched → default role {default:?}"),
                    values: Vec::new(),
                    matched: true,
                    matched_value: None,
                    grant: Some(default.clone()),
                });
                roles.push(default.clone());
            }
            (NoMatch::DefaultRole, None) => {}
        }
    }
    let custom = mapped
        .iter()
        .filter(|(k, _)| !super::mapping::STANDARD_FIELDS.contains(&k.as_str()))
        .filter_map(|(k, v)| {
            let multi = doc
                .fields
                .iter()
                .any(|f| &f.target == k && f.transforms.iter().any(|t| matches!(t, super::mapping::Transform::All)));
            if multi { Some((k.clone(), v.join(", "))) } else { v.first().map(|x| (k.clone(), x.clone())) }
        })
        .collect();
    Ok(Profile {
        subject,
        email,
        username: first("username"),
        given_name: first("given_name"),
        family_name: first("family_name"),
        display_name: first("display_name"),
        groups,
        roles,
        custom,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Attribute;

    fn with(values: Option<&[&str]>) -> Claims {
        let attributes = values
            .map(|v| Attribute {
                name: "email_verified".into(),
                name_format: None,
                friendly_name: None,
                values: v.iter().map(|s| (*s).to_owned()).collect(),
            })
            .into_iter()
            .collect();
        Claims { name_id: None, attributes, notes: Vec::new() }
    }

    #[test]
    fn email_verified_reads_booleans_and_string_booleans_and_fails_closed() {
        assert_eq!(EmailVerified::of(&with(None)), EmailVerified::Absent);
        assert_eq!(EmailVerified::of(&with(Some(&["true"]))), EmailVerified::Verified);
        assert_eq!(EmailVerified::of(&with(Some(&["True", "TRUE"]))), EmailVerified::Verified);
        assert_eq!(EmailVerified::of(&with(Some(&["false"]))), EmailVerified::Unverified);
        assert_eq!(EmailVerified::of(&with(Some(&["FALSE"]))), EmailVerified::Unverified);
        for odd in [&["true", "false"][..], &["yes"], &["1"], &[]] {
            assert!(matches!(EmailVerified::of(&with(Some(odd))), EmailVerified::Unreadable(_)), "{odd:?}");
        }
    }
}

//! Offline analysis: a captured SAMLResponse (from a SAML tracer, or production's network
//! tab) judged for a connection without changing it. The admin chooses the judging context:
//! as this connection's SP or as the SP the response was addressed to (its Audience and
//! ACS URL given, or taken from the response), and now, at the response's own IssueInstant,
//! or at a given instant. Every check runs either way; the hints fit a capture.
//!
//! The rule: analysis writes nothing. Provisioning is a dry run in a transaction that is
//! rolled back (no replay key consumed, no account, no audit row, no test-login record), so
//! the same capture can be judged any number of times with the same result. Judged as this
//! connection's SP, the dry run reads the replay cache as its ACS would (an assertion this
//! catalog consumed is `replay`); judged as the SP it was addressed to, it does not: that
//! SP's replay cache is not this catalog's.
//!
//! A pasted OpenID Connect ID token (`eyJ...`) is judged the same way for an OIDC connection:
//! with its cached JWKS, as this connection's client, now, at a given instant or at the
//! token's own `iat`, provisioning dry-run ([`Workbench::analyze_id_token`]).

use chrono::{DateTime, Datelike as _, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{Expect, Workbench, XmlLine, normalise_response_input, xmlview};
use crate::connection::SpEndpoints;
use crate::error::{Error, Result};
use crate::login;
use crate::validate::{self, Addressing, Capture, CaptureAt, CaptureSp, Judging, OtherIdp};

/// Error details: the SP value to judge as is neither given nor readable in the response.
pub const NO_ADDRESSED_VALUE: &str = "no_addressed_value";
/// Error detail: judged at the response's own time, but it has no readable IssueInstant.
pub const NO_ISSUE_INSTANT: &str = "no_issue_instant";
/// Error detail: the instant to judge at is outside the years 1970 to 9999.
pub const INSTANT_OUT_OF_RANGE: &str = "instant_out_of_range";

/// Which SP a captured response is judged as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum JudgeAs {
    /// This connection's SP entityID and ACS URL, as its ACS would judge it.
    #[default]
    Connection,
    /// The SP it was addressed to: `entity_id` (the Audience) and `acs_url` (Destination and
    /// Recipient). One left out (or empty) is taken from the response.
    Addressed {
        #[serde(default)]
        entity_id: Option<String>,
        #[serde(default)]
        acs_url: Option<String>,
    },
}

/// Which instant a captured response is judged at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum JudgeAt {
    #[default]
    Now,
    /// The response's own IssueInstant (the Assertion's, else the Response's): the time
    /// checks pass only if they would have when the IdP issued it.
    Response,
    Instant {
        at: DateTime<Utc>,
    },
}

/// How to judge a captured response. The connection's stored SP values are never changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct JudgingContext {
    pub judge_as: JudgeAs,
    pub judge_at: JudgeAt,
}

/// Where a value the response was judged against came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub enum ValueSource {
    /// The connection's SP values.
    Connection,
    /// Read from the response, as asked.
    Response,
    /// Given by the admin.
    Given,
    /// The clock (now).
    Clock,
}

/// One value the response was judged against, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct JudgedValue<T> {
    pub value: T,
    pub source: ValueSource,
}

/// The judging context as resolved: what the response was judged as, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct Judged {
    /// True when judged as the SP it was addressed to, false as this connection's SP.
    pub as_addressed: bool,
    pub entity_id: JudgedValue<String>,
    pub acs_url: JudgedValue<String>,
    pub at: JudgedValue<DateTime<Utc>>,
    /// What judging this way means, in sentences (the values' sources, the replay cache).
    pub notes: Vec<String>,
}

/// A pasted response, checked offline: validation and a dry-run provisioning.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct AnalyzeResult {
    pub connection: String,
    /// The instant the response was judged at (as `judged.at`).
    pub at: DateTime<Utc>,
    /// The request ID accepted as outstanding (the response's own InResponseTo, if any).
    pub in_response_to: Option<String>,
    pub judged: Judged,
    pub report: crate::workbench::ProvisionReport,
    pub xml: Vec<XmlLine>,
}

/// What a response says about where it was sent and when, unverified: what the "as
/// addressed" fields are prefilled with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ResponseAddressing {
    /// The SP entityID it names (its first Audience).
    pub entity_id: Option<String>,
    /// The ACS URL it names (its Destination, else its bearer Recipient).
    pub acs_url: Option<String>,
    pub issuer: Option<String>,
    pub issue_instant: Option<DateTime<Utc>>,
    pub in_response_to: Option<String>,
    /// The assertion is encrypted: its Audience and Recipient are unreadable without the key.
    pub encrypted: bool,
}

impl From<&Addressing> for ResponseAddressing {
    fn from(a: &Addressing) -> Self {
        ResponseAddressing {
            entity_id: a.audience.clone(),
            acs_url: a.destination.clone().or_else(|| a.recipient.clone()),
            issuer: a.issuer.clone(),
            issue_instant: a.issue_instant,
            in_response_to: a.in_response_to.clone(),
            encrypted: a.encrypted,
        }
    }
}

fn fmt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A given value, or the response's; and whether it is the response's.
fn addressed_value(given: Option<&str>, from_response: Option<&str>, what: &str) -> Result<JudgedValue<String>> {
    match (given.filter(|g| !g.is_empty()), from_response) {
        (Some(g), r) => Ok(JudgedValue {
            value: g.to_owned(),
            source: if r == Some(g) { ValueSource::Response } else { ValueSource::Given },
        }),
        (None, Some(r)) => Ok(JudgedValue { value: r.to_owned(), source: ValueSource::Response }),
        (None, None) => Err(Error::invalid(format!(
            "the response names no {what} that can be read (an encrypted assertion hides its Audience and Recipient): give the {what} to judge it as"
        ))
        .detail(NO_ADDRESSED_VALUE)),
    }
}

impl Workbench {
    /// What a captured response says it was addressed to (unverified), to prefill the
    /// "as addressed" values.
    pub fn response_addressing(&self, response: &str) -> Result<ResponseAddressing> {
        validate::peek_addressing(response).map(|a| ResponseAddressing::from(&a)).ok_or_else(|| {
            Error::invalid("this is not a readable SAML Response: give the base64 form value or the decoded XML")
        })
    }

    /// Judges a captured SAMLResponse (base64 or XML) in the given context and dry-runs
    /// provisioning: nothing is written, and the response's own InResponseTo counts as
    /// outstanding (it answered a request of the SP it was sent to).
    pub fn analyze_response(
        &self,
        name: &str,
        response: &str,
        context: &JudgingContext,
        now: DateTime<Utc>,
    ) -> Result<AnalyzeResult> {
        if looks_like_a_jwt(response) {
            return self.analyze_id_token(name, response.trim(), context, now);
        }
        let input = normalise_response_input(response);
        if input.trim().is_empty() {
            return Err(Error::invalid("there is no response to judge: give the base64 form value or the decoded XML"));
        }
        let c = self.store().get_connection(name)?;
        let addressing = validate::peek_addressing(&input).unwrap_or_default();
        let (at, capture_at) = match &context.judge_at {
            JudgeAt::Now => (JudgedValue { value: now, source: ValueSource::Clock }, CaptureAt::Clock),
            JudgeAt::Instant { at } => (JudgedValue { value: *at, source: ValueSource::Given }, CaptureAt::Given),
            JudgeAt::Response => match addressing.issue_instant {
                Some(t) => (JudgedValue { value: t, source: ValueSource::Response }, CaptureAt::Response),
                None => {
                    return Err(Error::invalid(
                        "the response has no IssueInstant that can be read: judge it now or at a given instant",
                    )
                    .detail(NO_ISSUE_INSTANT));
                }
            },
        };
        // The instant can come from the response itself: bound it before any date arithmetic
        // (chrono's panics on overflow; xs:dateTime allows years from -262143).
        if !(1970..=9999).contains(&at.value.year()) {
            return Err(Error::invalid(format!(
                "cannot judge at {}: the instant must be between the years 1970 and 9999",
                at.value.to_rfc3339()
            ))
            .detail(INSTANT_OUT_OF_RANGE));
        }
        let own = c.sp.resolve(&c.name, self.base_url());
        let (sp, entity_id, acs_url, capture_sp) = match &context.judge_as {
            JudgeAs::Connection => (
                own.clone(),
                JudgedValue { value: own.entity_id.clone(), source: ValueSource::Connection },
                JudgedValue { value: own.acs_url.clone(), source: ValueSource::Connection },
                CaptureSp::Connection,
            ),
            JudgeAs::Addressed { entity_id, acs_url } => {
                let read = ResponseAddressing::from(&addressing);
                let e = addressed_value(entity_id.as_deref(), read.entity_id.as_deref(), "SP entityID (Audience)")?;
                let a = addressed_value(acs_url.as_deref(), read.acs_url.as_deref(), "ACS URL (Destination)")?;
                let sp = SpEndpoints { entity_id: e.value.clone(), acs_url: a.value.clone() };
                let capture = CaptureSp::Addressed {
                    entity_id_from_response: e.source == ValueSource::Response,
                    acs_url_from_response: a.source == ValueSource::Response,
                };
                (sp, e, a, capture)
            }
        };
        let others: Vec<OtherIdp> = self
            .store()
            .list_connections()?
            .into_iter()
            .filter(|o| o.id != c.id)
            .map(|o| OtherIdp {
                connection: o.name,
                entity_id: o.idp.entity_id,
                certificates: o
                    .idp
                    .signing_certificates
                    .into_iter()
                    .map(|cert| (cert.der_base64, cert.sha256_fingerprint))
                    .collect(),
            })
            .collect();
        let judging = Judging { capture: Some(Capture { sp: capture_sp, at: capture_at }), others: &others };
        let in_response_to = addressing.in_response_to.clone();
        let expect = Expect::outstanding(in_response_to.as_deref());
        let validation = self.validate_as(&c, &sp, &input, at.value, expect, judging);
        let mut judgement = login::saml::judge(&c, validation);
        let as_addressed = capture_sp != CaptureSp::Connection;
        let mut notes = vec![judged_as_note(as_addressed, &entity_id, &acs_url), judged_at_note(&at, &addressing)];
        if as_addressed && let Some(l) = judgement.login.as_mut() {
            // That SP's replay cache is not this catalog's.
            l.replay.clear();
            notes.push(
                "The replay cache was not consulted: it is this catalog's, not that of the SP the response was addressed to."
                    .into(),
            );
        }
        notes.push(
            "Dry run: nothing was written (no replay key consumed, no account, no audit row, no test login); \
             this connection's SP values are unchanged."
                .into(),
        );
        let report = self.record(&c, &judgement, at.value, true)?;
        let xml = judgement
            .document
            .as_deref()
            .map(|x| xmlview::lines(x, report.response_signed, report.assertion_signed))
            .unwrap_or_default();
        let judged = Judged { as_addressed, entity_id, acs_url, at: at.clone(), notes };
        Ok(AnalyzeResult { connection: c.name, at: at.value, in_response_to, judged, report, xml })
    }
}

/// A compact JWS or JWE (`eyJ...`, three or five dot-separated parts): a pasted ID token.
fn looks_like_a_jwt(input: &str) -> bool {
    let t = input.trim();
    t.starts_with("eyJ") && matches!(t.matches('.').count(), 2 | 4) && !t.contains(char::is_whitespace)
}

fn source_words(source: ValueSource) -> &'static str {
    match source {
        ValueSource::Connection => "this connection's",
        ValueSource::Response => "taken from the response, as you asked",
        ValueSource::Given => "as you gave it",
        ValueSource::Clock => "now",
    }
}

fn judged_as_note(as_addressed: bool, entity_id: &JudgedValue<String>, acs_url: &JudgedValue<String>) -> String {
    if as_addressed {
        format!(
            "Judged as the SP it was addressed to: SP entityID (Audience) {} ({}), ACS URL (Destination and Recipient) {} ({}).",
            entity_id.value,
            source_words(entity_id.source),
            acs_url.value,
            source_words(acs_url.source)
        )
    } else {
        format!("Judged as this connection's SP: SP entityID {}, ACS URL {}.", entity_id.value, acs_url.value)
    }
}

fn judged_at_note(at: &JudgedValue<DateTime<Utc>>, addressing: &Addressing) -> String {
    match at.source {
        ValueSource::Response => format!(
            "Judged at {}, the {} IssueInstant: the time checks pass only if they would have when the IdP issued it.",
            fmt(at.value),
            addressing.issue_instant_of.as_deref().unwrap_or("response's")
        ),
        ValueSource::Given => format!("Judged at {}, the instant you gave.", fmt(at.value)),
        _ => format!("Judged now ({}).", fmt(at.value)),
    }
}

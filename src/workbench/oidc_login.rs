//! OpenID Connect test logins at the embedded SP, and ID tokens judged offline.
//!
//! A test login is three steps, because the middle one is network work the shells do:
//!
//! 1. [`Workbench::start_oidc_login`]: a fresh `state` (256 random bits) and `nonce`, the
//!    PKCE S256 challenge of the verifier derived from the state (the verifier is stored
//!    nowhere), the request recorded as outstanding, the authorization URL;
//! 2. [`Workbench::oidc_callback_plan`] (read-only): the callback's `state` matched to its
//!    request, the authorization code checked against the replay cache *before* it is sent
//!    anywhere, and what the exchange needs; the shell then redeems the code
//!    (`oidc::rp::exchange`), refetches the JWKS once if the token names an unknown `kid`,
//!    and calls userinfo;
//! 3. [`Workbench::complete_oidc_login`]: the judge runs before the write lock, with the
//!    state matched again at the same `now`; then ONE write transaction answers the request,
//!    stores a refetched JWKS, records the login (`login::pipeline::record`: the nonce and
//!    code replay keys, provisioning, the audit row) and the test-login row.
//!
//! The client secret, the code, the PKCE verifier and the access token are [`Sensitive`]
//! throughout and are never written: the stored document is the decoded header and claims.

use base64::Engine as _;
use chrono::{DateTime, Datelike as _, Duration, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::analysis::{
    AnalyzeResult, INSTANT_OUT_OF_RANGE, JudgeAs, JudgeAt, Judged, JudgedValue, JudgingContext, NO_ISSUE_INSTANT,
    ValueSource,
};
use super::{Workbench, XmlLine};
use crate::connection::Connection;
use crate::error::{Error, ErrorCode, Result};
use crate::login::record::{MAX_KEPT_GARBAGE, MAX_OUTSTANDING_REQUESTS, REQUEST_LIFETIME_MINUTES, safe_return_path};
use crate::login::{self, Denial, Judgement, LoginKind, LoginStart, ProvisionReport, ReplayKey, StoppedBy, TestLogin};
use crate::oidc::{self, Exchange, OidcSettings, StateMatch, rp};
use crate::sensitive::Sensitive;
use crate::store::logins::{DocumentFormat, NewTestLogin};
use crate::store::oidc::{NewOidcRequest, StoredOidcRequest};
use crate::store::{self, MAX_STORED_FIELD_BYTES, cut};
use crate::validate::Verdict;

/// Random bytes in a `state` and a `nonce` (256 bits; OIDC asks for at least 128).
const RANDOM_BYTES: usize = 32;
/// Longest callback parameter kept (`state`, `iss`, `error`...): an OP's are far shorter.
const MAX_PARAMETER_BYTES: usize = 4096;

/// What the OP's redirect brought to the callback (RFC 6749 §4.1.2, RFC 9207 `iss`).
#[derive(Debug, Clone, Default)]
pub struct CallbackQuery {
    pub state: Option<String>,
    /// The authorization code: a credential until redeemed, never shown or stored.
    pub code: Option<Sensitive<String>>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub iss: Option<String>,
}

/// What the shell does between the plan and the completion.
#[derive(Debug, Clone)]
pub enum CallbackPlan {
    /// Nothing to redeem (no or unknown state, an OP error, a code used before): complete
    /// at once; the judgement says why.
    Complete,
    /// Redeem the code at the token endpoint with these inputs.
    Exchange(Box<ExchangeInputs>),
}

/// Everything the code exchange and what follows it need.
#[derive(Debug, Clone)]
pub struct ExchangeInputs {
    pub connection_id: i64,
    pub settings: OidcSettings,
    pub client_secret: Option<Sensitive<String>>,
    /// The `private_key_jwt` assertion, made at the instant the callback was planned.
    pub client_assertion: Option<Sensitive<String>>,
    pub code: Sensitive<String>,
    pub pkce_verifier: Sensitive<String>,
    pub redirect_uri: String,
}

/// What the network part of a callback found, for [`Workbench::complete_oidc_login`].
#[derive(Debug, Clone, Default)]
pub struct CallbackFacts {
    /// The token endpoint's answer (`None`: the plan said not to redeem the code).
    pub exchange: Option<Exchange>,
    /// The JWKS fetched again because the ID token named an unknown `kid`.
    pub refetched_jwks: Option<String>,
    /// Why the JWKS was not fetched again although the `kid` was unknown (rate limit, error).
    pub jwks_note: Option<String>,
    /// The userinfo response's claims, when called.
    pub userinfo: Option<Map<String, Value>>,
    /// Why userinfo gave no claims although it was called.
    pub userinfo_error: Option<String>,
}

/// A pasted ID token provisioned: the report, with the token's decoded header and claims.
#[derive(Debug, Clone, Serialize)]
pub struct IdTokenProvision {
    #[serde(flatten)]
    pub report: ProvisionReport,
    pub header: Option<Map<String, Value>>,
    pub claims: Option<Map<String, Value>>,
}

/// How the callback's state matched, and the request it matched (if any).
struct Matched {
    state: StateMatch,
    request: Option<StoredOidcRequest>,
}

impl Workbench {
    /// Starts an OIDC test login: records the outstanding request and returns the OP's
    /// authorization URL (`LoginStart.request_id` is the `state`).
    pub fn start_oidc_login(&self, name: &str, now: DateTime<Utc>, return_to: Option<&str>) -> Result<LoginStart> {
        let c = self.store().get_connection(name)?;
        let settings = oidc_settings(&c)?;
        let state = random_token()?;
        let nonce = random_token()?;
        let verifier = self.oidc_pkce_verifier(&state)?;
        let redirect_uri = self.oidc_redirect_uri(&c)?;
        let url = rp::authorize_url(settings, &redirect_uri, &state, &nonce, &verifier)?;
        let expires_at = now + Duration::minutes(REQUEST_LIFETIME_MINUTES);
        let return_to = return_to.and_then(safe_return_path);
        let tx = self.store().write()?;
        store::oidc::insert_request(
            &tx,
            &NewOidcRequest {
                state: &state,
                connection_id: c.id,
                nonce: &nonce,
                redirect_uri: &redirect_uri,
                return_to: return_to.as_deref(),
                expires_at,
            },
            now,
            MAX_OUTSTANDING_REQUESTS,
        )?;
        tx.commit()?;
        Ok(LoginStart { request_id: state, redirect_url: url, signed: false, expires_at })
    }

    /// Read-only: what the callback may do. The code is redeemed only for an outstanding
    /// request of this connection and only if no login consumed it before (a replayed code
    /// never reaches the OP again).
    pub fn oidc_callback_plan(&self, name: &str, query: &CallbackQuery, now: DateTime<Utc>) -> Result<CallbackPlan> {
        let c = self.store().get_connection(name)?;
        let settings = oidc_settings(&c)?;
        let matched = self.match_state(&c, query, now)?;
        let (StateMatch::Matched { .. }, Some(request), Some(code)) = (&matched.state, &matched.request, &query.code)
        else {
            return Ok(CallbackPlan::Complete);
        };
        if let Some(key) = code_key(&c, code)
            && store::replay::consumed(self.store(), &key)?
        {
            return Ok(CallbackPlan::Complete);
        }
        Ok(CallbackPlan::Exchange(Box::new(ExchangeInputs {
            connection_id: c.id,
            settings: settings.clone(),
            client_secret: self.oidc_client_secret(&c.name)?,
            client_assertion: self.oidc_client_assertion(&c, settings, now)?,
            code: code.clone(),
            pkce_verifier: self.oidc_pkce_verifier(&request.state)?,
            redirect_uri: request.redirect_uri.clone(),
        })))
    }

    /// Judges what the callback and the network brought, then records it in one write
    /// transaction: the request answered, a refetched JWKS, the replay keys, the account or
    /// the rejection, the audit row and the test-login row, or nothing at all.
    pub fn complete_oidc_login(
        &self,
        name: &str,
        query: &CallbackQuery,
        facts: CallbackFacts,
        now: DateTime<Utc>,
    ) -> Result<TestLogin> {
        let c = self.store().get_connection(name)?;
        let settings = oidc_settings(&c)?.clone();
        let matched = self.match_state(&c, query, now)?;
        let code_replayed = match (&matched.state, &query.code) {
            (StateMatch::Matched { .. }, Some(code)) if facts.exchange.is_none() => match code_key(&c, code) {
                Some(key) => store::replay::consumed(self.store(), &key)?,
                None => false,
            },
            _ => false,
        };
        // Judged before the write lock is taken.
        let mut judgement = self.judge_callback(&c, &settings, query, &matched, &facts, code_replayed, now);
        let mut kind = if matches!(matched.state, StateMatch::Matched { .. }) {
            LoginKind::SpInitiated
        } else {
            LoginKind::UnknownRequest
        };
        let tx = self.store().write()?;
        // A request is answered once, whatever the outcome; when another callback answered it
        // meanwhile, this one is judged as answering nothing.
        if let Some(request) = &matched.request
            && !store::oidc::answer_request(&tx, &request.state, now)?
            && matches!(matched.state, StateMatch::Matched { .. } | StateMatch::OpError { .. })
        {
            kind = LoginKind::UnknownRequest;
            let answered = Matched { state: StateMatch::AlreadyAnswered, request: None };
            judgement = self.judge_callback(&c, &settings, query, &answered, &facts, false, now);
        }
        crate::fault::point("after_request_used");
        if let Some(jwks) = facts.refetched_jwks.as_deref() {
            store::oidc::set_jwks(&tx, c.id, jwks, now)?;
        }
        let mut report = login::pipeline::record(&tx, &c, &judgement, now, false)?;
        report.bound_for_storage();
        let document = judgement.document.as_deref().filter(|_| judgement.parsed);
        let request_id = query.state.as_deref().map(|s| cut(s, MAX_STORED_FIELD_BYTES));
        let id = store::logins::insert_test_login(
            &tx,
            &NewTestLogin {
                at: now,
                connection_id: c.id,
                connection: &c.name,
                kind,
                request_id,
                report: &report,
                response_xml: document,
                response_xml_bytes: None,
                authenticated: judgement.authenticated,
                document_format: DocumentFormat::OidcJson,
            },
            MAX_KEPT_GARBAGE,
        )?;
        crate::fault::point("after_test_login_row");
        tx.commit()?;
        Ok(TestLogin {
            id,
            at: now,
            connection: c.name,
            kind,
            request_id: request_id.map(str::to_owned),
            return_to: matched.request.and_then(|r| r.return_to),
            report,
            response_xml: document.map(str::to_owned),
            response_xml_bytes: None,
        })
    }

    /// Judges a pasted ID token for a connection at `at`, with the cached JWKS. No side
    /// effects. Without `nonce` the nonce check is skipped, saying so.
    pub fn verify_id_token(
        &self,
        name: &str,
        token: &str,
        at: DateTime<Utc>,
        nonce: Option<&str>,
    ) -> Result<oidc::Report> {
        let c = self.store().get_connection(name)?;
        let settings = oidc_settings(&c)?;
        let secret = self.oidc_client_secret(&c.name)?;
        Ok(self.judge_offline(&c, settings, secret.as_ref(), token, at, nonce))
    }

    /// Judges a pasted ID token, then maps and provisions it (or, with `dry_run`, reports
    /// what would happen and writes nothing at all).
    pub fn provision_id_token(
        &self,
        name: &str,
        token: &str,
        at: DateTime<Utc>,
        nonce: Option<&str>,
        dry_run: bool,
    ) -> Result<IdTokenProvision> {
        let c = self.store().get_connection(name)?;
        let settings = oidc_settings(&c)?;
        let secret = self.oidc_client_secret(&c.name)?;
        let report = self.judge_offline(&c, settings, secret.as_ref(), token, at, nonce);
        let (header, claims) = (report.header.clone(), report.claims.clone());
        let judgement = adapt(&c, report, None);
        let provision = self.record(&c, &judgement, at, dry_run)?;
        Ok(IdTokenProvision { report: provision, header, claims })
    }

    pub(crate) fn judge_offline(
        &self,
        c: &Connection,
        settings: &OidcSettings,
        client_secret: Option<&Sensitive<String>>,
        token: &str,
        at: DateTime<Utc>,
        nonce: Option<&str>,
    ) -> oidc::Report {
        let ctx = oidc::Context {
            settings,
            client_secret,
            clock_skew_seconds: c.policy.clock_skew_seconds,
            now: at,
            expected_nonce: nonce,
            jwks_json: settings.jwks_json.as_deref(),
            jwks_refetched: false,
            state: None,
            exchange: None,
            code: None,
            userinfo: None,
        };
        oidc::judge::judge(token.trim(), &ctx)
    }

    /// The callback's state against the outstanding requests of this connection, at `now`.
    fn match_state(&self, c: &Connection, query: &CallbackQuery, now: DateTime<Utc>) -> Result<Matched> {
        let Some(state) = query.state.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(Matched { state: op_error(query).unwrap_or(StateMatch::Missing), request: None });
        };
        let request = if state.len() > MAX_PARAMETER_BYTES {
            None
        } else {
            store::oidc::find_request(self.store(), state, c.id)?
        };
        let found = match &request {
            None => StateMatch::Unknown,
            Some(r) if r.used => StateMatch::AlreadyAnswered,
            Some(r) if r.expires_at <= now => StateMatch::Expired { expired_at: r.expires_at },
            Some(_) => op_error(query).unwrap_or_else(|| StateMatch::Matched {
                iss: query.iss.as_deref().map(|i| cut(i, MAX_PARAMETER_BYTES).to_owned()),
            }),
        };
        // Only a request still waiting is answered by this callback.
        let request = request.filter(|r| !r.used && r.expires_at > now);
        Ok(Matched { state: found, request })
    }

    /// The judgement of a callback: the judge's report turned into the pipeline's terms, or
    /// the replay denial of a code used before (then nothing was sent to the OP).
    #[allow(clippy::too_many_arguments)]
    fn judge_callback(
        &self,
        c: &Connection,
        settings: &OidcSettings,
        query: &CallbackQuery,
        matched: &Matched,
        facts: &CallbackFacts,
        code_replayed: bool,
        now: DateTime<Utc>,
    ) -> Judgement {
        let secret = self.oidc_client_secret(&c.name).ok().flatten();
        let id_token = match &facts.exchange {
            Some(Exchange::Tokens { id_token: Some(t), .. }) => t.as_str(),
            _ => "",
        };
        // Nothing was sent to the token endpoint although the state matched: say why there.
        let not_sent = |why: &str| Exchange::Failed { status: None, detail: format!("not sent: {why}") };
        let not_sent = match (&matched.state, &query.code, &facts.exchange) {
            _ if code_replayed => Some(not_sent("an earlier login consumed this authorization code")),
            (StateMatch::Matched { .. }, None, None) => {
                Some(not_sent("the OP's redirect brought neither a code nor an error"))
            }
            _ => None,
        };
        let exchange = not_sent.as_ref().or(facts.exchange.as_ref());
        let jwks = facts.refetched_jwks.as_deref().or(settings.jwks_json.as_deref());
        let ctx = oidc::Context {
            settings,
            client_secret: secret.as_ref(),
            clock_skew_seconds: c.policy.clock_skew_seconds,
            now,
            expected_nonce: matched.request.as_ref().map(|r| r.nonce.as_str()),
            jwks_json: jwks,
            jwks_refetched: facts.refetched_jwks.is_some(),
            state: Some(&matched.state),
            exchange,
            code: query.code.as_ref(),
            userinfo: facts.userinfo.as_ref(),
        };
        let mut report = oidc::judge::judge(id_token, &ctx);
        report.notes.extend(facts.jwks_note.iter().cloned());
        if let Some(e) = &facts.userinfo_error {
            report.notes.push(format!("userinfo gave no claims: {e}"));
        }
        let mut judgement = adapt(c, report, facts.userinfo.as_ref());
        if code_replayed && let Some(key) = query.code.as_ref().and_then(|code| code_key(c, code)) {
            let denial = Denial::Replay { kind: login::oidc::REPLAY_CODE, id: key.id };
            judgement.verdict = Verdict::Rejected;
            judgement.failure = Some(StoppedBy::from(&denial));
            judgement.login = None;
            judgement.notes.push(
                "The authorization code was used by an earlier login, so it was not sent to the token endpoint again."
                    .to_owned(),
            );
        }
        judgement
    }
}

/// The OIDC settings of a connection, or why it has none.
fn oidc_settings(c: &Connection) -> Result<&OidcSettings> {
    c.oidc.as_ref().ok_or_else(|| {
        Error::invalid(format!("{} is a SAML connection: OpenID Connect logins need an OIDC connection", c.name))
    })
}

/// The callback's OP error (RFC 6749 §4.1.2.1), if it brought one.
fn op_error(query: &CallbackQuery) -> Option<StateMatch> {
    query.error.as_deref().map(|e| StateMatch::OpError {
        error: cut(e, MAX_PARAMETER_BYTES).to_owned(),
        error_description: query.error_description.as_deref().map(|d| cut(d, MAX_PARAMETER_BYTES).to_owned()),
    })
}

/// The replay key of an authorization code: its SHA-256, never the code itself.
fn code_key(c: &Connection, code: &Sensitive<String>) -> Option<ReplayKey> {
    Some(ReplayKey {
        issuer: c.idp.entity_id.clone(),
        kind: login::oidc::REPLAY_CODE,
        id: oidc::judge::code_id(code.expose())?,
        not_on_or_after: None,
    })
}

/// The judge's report in the pipeline's terms. The claims mapped are the ID token's, plus
/// the userinfo claims that only add to them (an OP may put `email` or `groups` only there;
/// `oidc::claims::with_userinfo`); the judge has checked that userinfo speaks of the same `sub`.
fn adapt(c: &Connection, report: oidc::Report, userinfo: Option<&Map<String, Value>>) -> Judgement {
    let id_token = report.claims.clone().unwrap_or_default();
    let (claims, notes) = match userinfo {
        Some(userinfo) => oidc::claims::with_userinfo(&id_token, userinfo),
        None => (id_token, Vec::new()),
    };
    let mut claims = oidc::claims::claims_of(&claims);
    claims.notes.extend(notes);
    login::oidc::judge(c, report, claims)
}

/// 256 random bits, base64url without padding.
fn random_token() -> Result<String> {
    let mut bytes = [0u8; RANDOM_BYTES];
    openssl::rand::rand_bytes(&mut bytes)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl Workbench {
    /// A pasted ID token judged offline for an OIDC connection (the capture analysis's OIDC
    /// side): judged as this connection's client with its cached JWKS, now, at a given
    /// instant or at the token's own `iat`; provisioning is a dry run. Writes nothing.
    pub fn analyze_id_token(
        &self,
        name: &str,
        token: &str,
        context: &JudgingContext,
        now: DateTime<Utc>,
    ) -> Result<AnalyzeResult> {
        let c = self.store().get_connection(name)?;
        let settings = c.oidc.as_ref().ok_or_else(|| {
            Error::invalid(format!(
                "this is an OpenID Connect ID token, and {name} is a SAML connection: judge it with an OIDC connection"
            ))
        })?;
        if matches!(context.judge_as, JudgeAs::Addressed { .. }) {
            return Err(Error::invalid(
                "an ID token is judged as this connection's client (its client ID and JWKS): \"as addressed\" is for \
                 SAML responses",
            ));
        }
        let at = match &context.judge_at {
            JudgeAt::Now => JudgedValue { value: now, source: ValueSource::Clock },
            JudgeAt::Instant { at } => JudgedValue { value: *at, source: ValueSource::Given },
            JudgeAt::Response => match peek_iat(token) {
                Some(t) => JudgedValue { value: t, source: ValueSource::Response },
                None => {
                    return Err(Error::invalid(
                        "the ID token has no iat that can be read: judge it now or at a given instant",
                    )
                    .detail(NO_ISSUE_INSTANT));
                }
            },
        };
        if !(1970..=9999).contains(&at.value.year()) {
            return Err(Error::invalid(format!(
                "cannot judge at {}: the instant must be between the years 1970 and 9999",
                at.value.to_rfc3339()
            ))
            .detail(INSTANT_OUT_OF_RANGE));
        }
        let secret = self.oidc_client_secret(&c.name)?;
        let report = self.judge_offline(&c, settings, secret.as_ref(), token, at.value, None);
        let signature_verified = report.signature_verified;
        let judgement = adapt(&c, report, None);
        let provision = self.record(&c, &judgement, at.value, true)?;
        let redirect_uri = self.oidc_redirect_uri(&c)?;
        let when = at.value.to_rfc3339_opts(SecondsFormat::Secs, true);
        let notes = vec![
            format!(
                "Judged as this connection's client: client ID {}, issuer {}, with the JWKS it cached{}.",
                settings.client_id,
                settings.issuer,
                settings
                    .jwks_fetched_at
                    .map(|t| format!(" (fetched {})", t.to_rfc3339_opts(SecondsFormat::Secs, true)))
                    .unwrap_or_default()
            ),
            match at.source {
                ValueSource::Response => format!("Judged at {when}, the token's own iat."),
                ValueSource::Given => format!("Judged at {when}, the instant you gave."),
                _ => format!("Judged now ({when})."),
            },
            "A pasted token comes without its login request, so its nonce and the callback's state are not checked."
                .to_owned(),
            "Dry run: nothing was written (no replay key consumed, no account, no audit row, no test login)."
                .to_owned(),
        ];
        let xml = judgement.document.as_deref().map(|d| json_lines(d, signature_verified)).unwrap_or_default();
        let judged = Judged {
            as_addressed: false,
            entity_id: JudgedValue { value: settings.client_id.clone(), source: ValueSource::Connection },
            acs_url: JudgedValue { value: redirect_uri, source: ValueSource::Connection },
            at: at.clone(),
            notes,
        };
        Ok(AnalyzeResult { connection: c.name, at: at.value, in_response_to: None, judged, report: provision, xml })
    }
}

/// The `iat` a token claims (unverified), to judge it at its own time.
fn peek_iat(token: &str) -> Option<DateTime<Utc>> {
    let payload = token.split('.').nth(1)?;
    if payload.len() > 512 * 1024 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    DateTime::from_timestamp(claims.get("iat")?.as_i64()?, 0)
}

/// An OIDC login's stored document (pretty JSON) as the lines the result view shows;
/// `signed` when a key of the OP's JWKS verified the signature.
pub fn json_lines(document: &str, signed: bool) -> Vec<XmlLine> {
    document
        .lines()
        .map(|line| {
            let text = line.trim_start();
            let indent = line.len() - text.len();
            XmlLine {
                depth: u32::try_from(indent / 2).unwrap_or(u32::MAX),
                text: text.to_owned(),
                signed,
                encrypted: false,
            }
        })
        .collect()
}

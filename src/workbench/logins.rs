//! Logins: judging a response for a connection (`verify`, `bench`), recording it
//! (`provision`), and test logins at the embedded SP: starting one (an AuthnRequest) and
//! completing it at the ACS in one write transaction; the record of each. A captured
//! response judged offline is `analysis`.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use samael::schema::{AuthnRequest, Issuer, NameIdPolicy};
use serde::Serialize;

use super::{Expect, Workbench, normalise_response_input, xmlview};
use crate::connection::{self, BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, Connection, SpEndpoints};
use crate::error::{Error, ErrorCode, Result};
use crate::login::record::{
    MAX_KEPT_GARBAGE, MAX_OUTSTANDING_REQUESTS, MAX_STORED_RESPONSE_BYTES, REQUEST_LIFETIME_MINUTES, safe_return_path,
};
use crate::login::{self, Judgement, LoginKind, LoginStart, ProvisionReport, TestLogin, TestLoginSummary};
use crate::saml;
use crate::store::logins::{NewTestLogin, StoredRequest};
use crate::store::{self, MAX_STORED_FIELD_BYTES, cut};
use crate::validate::{self, Judging, Report};

#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub iterations: u64,
    pub seconds: f64,
    pub validations_per_sec: f64,
}

/// One line of a pretty-printed XML document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct XmlLine {
    pub depth: u32,
    pub text: String,
    /// Inside an element covered by a verified XML signature.
    pub signed: bool,
    /// Inside an `EncryptedAssertion`.
    pub encrypted: bool,
}

/// A test login with what the result view needs around it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct TestLoginDetail {
    pub login: TestLogin,
    pub xml: Vec<XmlLine>,
    /// The verdict in sentences, the same words a scenario's row shows.
    pub summary: crate::login::Summary,
}

impl Workbench {
    /// Validates a SAMLResponse for a connection at instant `at`. No side effects.
    pub fn verify(
        &self,
        name: &str,
        saml_response: &str,
        at: DateTime<Utc>,
        in_response_to: Option<&str>,
    ) -> Result<Report> {
        let c = self.store().get_connection(name)?;
        Ok(self.validate_for(&c, saml_response, at, Expect::outstanding(in_response_to)))
    }

    /// The SAML adapter for a loaded connection: validation, turned into the protocol-neutral
    /// judgement the pipeline records.
    pub(crate) fn judge(
        &self,
        c: &Connection,
        saml_response: &str,
        at: DateTime<Utc>,
        expect: Expect<'_>,
    ) -> Judgement {
        login::saml::judge(c, self.validate_for(c, saml_response, at, expect))
    }

    pub(crate) fn validate_for(
        &self,
        c: &Connection,
        saml_response: &str,
        at: DateTime<Utc>,
        expect: Expect<'_>,
    ) -> Report {
        let sp: SpEndpoints = c.sp.resolve(&c.name, self.base_url());
        self.validate_as(c, &sp, saml_response, at, expect, Judging::default())
    }

    /// Validation against the given SP values (the connection's own, or those of the SP a
    /// capture was addressed to), with the hints of `judging`.
    pub(crate) fn validate_as(
        &self,
        c: &Connection,
        sp: &SpEndpoints,
        saml_response: &str,
        at: DateTime<Utc>,
        expect: Expect<'_>,
        judging: Judging<'_>,
    ) -> Report {
        let key_source = || self.load_sp_key(&c.name);
        let ctx = validate::Context {
            idp_entity_id: &c.idp.entity_id,
            signing_certificates: &c.idp.signing_certificates,
            sp,
            policy: &c.policy,
            decryption_key: Some(&key_source),
            now: at,
            in_response_to: expect.in_response_to,
            expired_request: expect.expired_request,
            judging,
        };
        validate::validate(&normalise_response_input(saml_response), &ctx)
    }

    /// Validates the same response `iterations` times after a warm-up; reports the rate.
    pub fn bench(
        &self,
        name: &str,
        saml_response: &str,
        at: DateTime<Utc>,
        in_response_to: Option<&str>,
        iterations: u64,
    ) -> Result<BenchResult> {
        if iterations == 0 {
            return Err(Error::invalid("the number of iterations must be at least 1"));
        }
        let c = self.store().get_connection(name)?;
        let first = self.validate_for(&c, saml_response, at, Expect::outstanding(in_response_to));
        if !first.accepted() {
            let why = first.error.map(|e| e.message).unwrap_or_default();
            return Err(Error::invalid(format!(
                "the response is rejected ({why}); benchmark a response that validates"
            )));
        }
        for _ in 0..iterations.min(50) {
            let _ = self.validate_for(&c, saml_response, at, Expect::outstanding(in_response_to));
        }
        let start = Instant::now();
        for _ in 0..iterations {
            std::hint::black_box(self.validate_for(&c, saml_response, at, Expect::outstanding(in_response_to)));
        }
        let seconds = start.elapsed().as_secs_f64();
        Ok(BenchResult { iterations, seconds, validations_per_sec: iterations as f64 / seconds.max(f64::MIN_POSITIVE) })
    }

    /// Validates a response, then maps and provisions it (or, with `dry_run`, reports what
    /// would happen and writes nothing at all).
    pub fn provision(
        &self,
        name: &str,
        saml_response: &str,
        at: DateTime<Utc>,
        in_response_to: Option<&str>,
        dry_run: bool,
    ) -> Result<ProvisionReport> {
        let c = self.store().get_connection(name)?;
        Ok(self.provision_for(&c, saml_response, at, Expect::outstanding(in_response_to), dry_run)?.0)
    }

    /// Judgement + recording for a loaded connection, in one write transaction (rolled back
    /// for a dry run); also returns the decoded document.
    pub(crate) fn provision_for(
        &self,
        c: &Connection,
        saml_response: &str,
        at: DateTime<Utc>,
        expect: Expect<'_>,
        dry_run: bool,
    ) -> Result<(ProvisionReport, Option<String>)> {
        let judgement = self.judge(c, saml_response, at, expect);
        let report = self.record(c, &judgement, at, dry_run)?;
        Ok((report, judgement.document))
    }

    /// Records a judgement in one write transaction, rolled back for a dry run.
    pub(crate) fn record(
        &self,
        c: &Connection,
        judgement: &Judgement,
        at: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<ProvisionReport> {
        let tx = self.store().write()?;
        let report = login::pipeline::record(&tx, c, judgement, at, dry_run)?;
        if dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        Ok(report)
    }

    /// Builds an AuthnRequest for the connection (signed when the connection or the IdP asks),
    /// records it as outstanding, and returns the IdP URL to send the browser to.
    pub fn start_login(&self, name: &str, now: DateTime<Utc>, return_to: Option<&str>) -> Result<LoginStart> {
        let c = self.store().get_connection(name)?;
        let sso = c.idp.sso_for(BINDING_HTTP_REDIRECT).ok_or_else(|| {
            Error::invalid(format!(
                "the IdP of {name} offers no HTTP-Redirect SSO endpoint, so Handshake cannot start a login there; \
                 start it at the IdP (IdP-initiated) instead"
            ))
        })?;
        let sp = c.sp.resolve(&c.name, self.base_url());
        let id = saml::random_id()?;
        let request = AuthnRequest {
            id: id.clone(),
            version: "2.0".into(),
            issue_instant: now,
            destination: Some(sso.location.clone()),
            issuer: Some(Issuer { value: Some(sp.entity_id.clone()), ..Issuer::default() }),
            assertion_consumer_service_url: Some(sp.acs_url.clone()),
            protocol_binding: Some(BINDING_HTTP_POST.into()),
            name_id_policy: Some(NameIdPolicy { allow_create: Some(true), ..NameIdPolicy::default() }),
            ..AuthnRequest::default()
        };
        let signed = c.policy.sign_authn_requests || c.idp.want_authn_requests_signed;
        // The request ID doubles as RelayState: opaque, and nothing the IdP sends back is
        // ever used as a redirect target.
        let url = if signed {
            let key = self.load_sp_key(&c.name).map_err(|m| Error::new(ErrorCode::SecretMissing, m))?;
            request.signed_redirect(&id, key.expose())
        } else {
            request.redirect(&id)
        }
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot build the AuthnRequest: {e}")))?
        .ok_or_else(|| Error::new(ErrorCode::Internal, "the AuthnRequest has no destination"))?;
        let expires_at = now + Duration::minutes(REQUEST_LIFETIME_MINUTES);
        let tx = self.store().write()?;
        let return_to = return_to.and_then(safe_return_path);
        store::logins::insert_request(&tx, &id, c.id, return_to.as_deref(), now, expires_at, MAX_OUTSTANDING_REQUESTS)?;
        tx.commit()?;
        Ok(LoginStart { request_id: id, redirect_url: url.to_string(), signed, expires_at })
    }

    /// The ACS: matches the response to its outstanding request (if any), judges it, maps and
    /// provisions it, and stores the test login. Everything the login writes (the request
    /// marked answered, the replay key, the account, the audit row and the test-login record)
    /// commits in one transaction, or nothing does.
    pub fn complete_login(&self, name: &str, saml_response: &str, now: DateTime<Utc>) -> Result<TestLogin> {
        let c = self.store().get_connection(name)?;
        let claimed = validate::peek_in_response_to(saml_response);
        let request = match &claimed {
            Some(id) => store::logins::find_request(self.store(), id, c.id)?,
            None => None,
        };
        let (mut kind, outstanding, expired, return_to) = match &request {
            None if claimed.is_none() => (LoginKind::IdpInitiated, None, None, None),
            None | Some(StoredRequest { used: true, .. }) => (LoginKind::UnknownRequest, None, None, None),
            Some(r) if r.expires_at <= now => (LoginKind::SpInitiated, None, Some(r.id.as_str()), r.return_to.clone()),
            Some(r) => (LoginKind::SpInitiated, Some(r.id.as_str()), None, r.return_to.clone()),
        };
        // Judged before the write lock is taken: validation is the slow part.
        let mut judgement =
            self.judge(&c, saml_response, now, Expect { in_response_to: outstanding, expired_request: expired });
        let tx = self.store().write()?;
        // A request is answered once, whatever the outcome; when another response answered it
        // meanwhile, this one is judged as answering nothing.
        if let Some(id) = outstanding
            && !store::logins::answer_request(&tx, id, now)?
        {
            kind = LoginKind::UnknownRequest;
            judgement = self.judge(&c, saml_response, now, Expect::default());
        }
        crate::fault::point("after_request_used");
        let mut report = login::pipeline::record(&tx, &c, &judgement, now, false)?;
        report.bound_for_storage();
        // The document is kept only when it is a message of the protocol at all, cut to size.
        let (response_xml, response_xml_bytes) = match judgement.document.as_deref().filter(|_| judgement.parsed) {
            Some(xml) if xml.len() > MAX_STORED_RESPONSE_BYTES => {
                (Some(cut(xml, MAX_STORED_RESPONSE_BYTES).to_owned()), Some(xml.len()))
            }
            Some(xml) => (Some(xml.to_owned()), None),
            None => (None, None),
        };
        let request_id = claimed.as_deref().map(|r| cut(r, MAX_STORED_FIELD_BYTES));
        let id = store::logins::insert_test_login(
            &tx,
            &NewTestLogin {
                at: now,
                connection_id: c.id,
                connection: &c.name,
                kind,
                request_id,
                report: &report,
                response_xml: response_xml.as_deref(),
                response_xml_bytes,
                authenticated: judgement.authenticated,
                document_format: store::logins::DocumentFormat::SamlXml,
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
            return_to,
            report,
            response_xml,
            response_xml_bytes,
        })
    }

    pub fn test_login(&self, id: i64) -> Result<TestLogin> {
        store::logins::test_login(self.store(), id)?
            .ok_or_else(|| Error::not_found(format!("there is no test login {id}")))
    }

    /// A test login with its decoded response laid out for reading (signed parts marked).
    pub fn test_login_detail(&self, id: i64) -> Result<TestLoginDetail> {
        let login = self.test_login(id)?;
        let oidc = store::logins::document_format(self.store(), id)? == Some(store::logins::DocumentFormat::OidcJson);
        let xml = match login.response_xml.as_deref() {
            Some(json) if oidc => super::oidc_login::json_lines(json, login.report.response_signed),
            Some(x) => xmlview::lines(x, login.report.response_signed, login.report.assertion_signed),
            None => Vec::new(),
        };
        let summary = crate::login::Summary::of(&login.report);
        Ok(TestLoginDetail { login, xml, summary })
    }

    /// Test logins, newest first, of one connection or all (at most `limit`, 1 to 1,000).
    pub fn test_logins(&self, connection: Option<&str>, limit: u32) -> Result<Vec<TestLoginSummary>> {
        store::logins::test_logins(self.store(), connection, limit.clamp(1, 1000))
    }

    /// Where a browser starts an SP-initiated test login at the embedded SP on `base_url`
    /// (`/saml/{name}/login`, or `/oidc/{name}/login` for an OpenID Connect connection).
    pub fn login_url(&self, name: &str, base_url: &str) -> Result<String> {
        let c = self.store().get_connection(name)?;
        let protocol = if c.oidc.is_some() { "oidc" } else { "saml" };
        Ok(format!("{}/{protocol}/{}/login", base_url.trim_end_matches('/'), connection::url_segment(&c.name)))
    }
}

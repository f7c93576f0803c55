//! Linking a login to an existing account by email: the one place that decides it.
//!
//! A login whose address (by its canonical key) belongs to an existing account is linked to
//! that account only when the address is verified for its domain on BOTH sides:
//! 1. linking by email is on for the login's connection;
//! 2. the IdP does not say the login's address is unverified (`email_verified` false, or
//!    not readable as true or false; absent, as from SAML IdPs and Entra ID, passes);
//! 3. the login's address is not a look-alike (non-ASCII that looks like ASCII);
//! 4. the login's connection lists the address's domain as verified;
//! 5. the account got the address from a source trusted for that domain: an admin, or a
//!    connection that listed the domain as verified when it set the address. An account
//!    created through a connection that does not verify the domain never receives a link,
//!    whoever logs in first (pre-account-hijack), and it does not keep the verified owner
//!    out: a login whose address is verified gets an account of its own ([`passed_over`]);
//! 6. the account holds no admin role (admins are linked by hand);
//! 7. the account is active;
//! 8. the account has no other identity at this connection (one subject per account).
//!
//! Every step is written to the trace (`Trace.linking`) with what it found.

use super::db;
use super::rules::{AccessTrace, Profile, Trace, UpdatePolicy};
use super::{Decision, EmailFacts, Identity, Login, Outcome, apply_fields, apply_roles, denied, diff};
use crate::directory::{User, UserSource, UserStatus};
use crate::error::Result;
use crate::login::Denial;
use crate::store::WriteTx;

fn step(trace: &mut Trace, rule: &str, passed: bool, detail: String) -> bool {
    trace.linking.push(AccessTrace { rule: rule.to_owned(), passed, detail });
    passed
}

pub(super) fn origin(u: &User) -> String {
    if u.source == UserSource::Manual {
        return "created manually".to_owned();
    }
    format!("from connection {}", u.connection.as_deref().unwrap_or("(removed)"))
}

/// A login whose address is verified met an account holding the same address unverified:
/// that account is not linked (condition 4), and the login gets an account of its own.
pub(super) fn passed_over(trace: &mut Trace, email: &EmailFacts, holder: &User) {
    let address = email.raw.as_deref().unwrap_or_default();
    let domain = email.canonical.as_ref().map(|c| c.domain.as_str()).unwrap_or_default();
    step(trace, "this connection lists the address's domain as verified", true, format!("domain {domain}"));
    let source = holder.email_source.clone().unwrap_or_else(|| "an unknown source".into());
    step(
        trace,
        "the account got the address from a source trusted for the domain",
        false,
        format!(
            "account {} ({}) got {address} from {source}, not trusted for {domain}: it is not linked, and a new \
             account is made for the verified address",
            holder.id,
            origin(holder)
        ),
    );
    trace.notes.push(format!(
        "account {} holds {address} unverified (from {source}); it was not linked to this login, whose address is \
         verified. Check who owns account {}",
        holder.id, holder.id
    ));
}

pub(super) fn link(
    tx: &WriteTx<'_>,
    login: &Login<'_>,
    profile: &Profile,
    email: &EmailFacts,
    other: User,
    trace: &mut Trace,
) -> Result<Decision> {
    let conn = login.connection;
    let policy = &login.mapping.provisioning;
    let address = email.raw.as_deref().unwrap_or_default();
    let domain = email.canonical.as_ref().map(|c| c.domain.clone()).unwrap_or_default();

    if !step(
        trace,
        "linking by email is on for this connection",
        policy.link_by_email,
        format!("account {} ({}) has the address {address}", other.id, origin(&other)),
    ) {
        let denial = Denial::EmailInUse {
            email: other.email.clone().unwrap_or_default(),
            account: other.id,
            origin: origin(&other),
            linking_off: true,
        };
        return Ok(denied(denial, None));
    }
    if !step(
        trace,
        "the IdP does not say the login's address is unverified (email_verified)",
        email.not_denied_by_idp(),
        email.said.describe(),
    ) {
        let denial =
            Denial::EmailUnverified { email: email.raw.clone(), claim: email.said.describe(), account: Some(other.id) };
        return Ok(denied(denial, None));
    }
    let looks_ascii = email.canonical.as_ref().is_some_and(|c| c.confusable);
    if !step(
        trace,
        "the login's address has no look-alike characters",
        !looks_ascii,
        if looks_ascii { format!("{address} mixes in characters that look like ASCII") } else { address.to_owned() },
    ) {
        return Ok(denied(Denial::EmailConfusable { email: address.to_owned(), other: None }, None));
    }
    if !step(
        trace,
        "this connection lists the address's domain as verified",
        email.domain_verified,
        format!("domain {domain}; verified domains {:?}", policy.verified_domains),
    ) {
        return Ok(denied(Denial::LinkDomainUnverified { domain }, None));
    }
    // Only verified owners reach this point (an unverified holder is passed over or, for an
    // untrusted login, refused above); the condition stays in the trace for the record.
    let source = other.email_source.clone().unwrap_or_else(|| "an unknown source".into());
    step(
        trace,
        "the account got the address from a source trusted for the domain",
        other.email_verified,
        format!("account {} got {} from {source}", other.id, other.email.as_deref().unwrap_or_default()),
    );
    let admin_role = other.roles.iter().find(|r| policy.admin_roles.contains(r)).cloned();
    if !step(
        trace,
        "the account holds no admin role",
        admin_role.is_none(),
        format!("roles {:?}; admin roles {:?}", other.roles, policy.admin_roles),
    ) {
        return Ok(denied(Denial::LinkAdminRefused { account: other.id, role: admin_role.unwrap_or_default() }, None));
    }
    if !step(trace, "the account is active", other.status == UserStatus::Active, format!("{:?}", other.status)) {
        return Ok(denied(super::hybrid::deactivated(tx, conn.id, &other)?, None));
    }
    let known = db::identity_subject_at(tx, conn.id, other.id)?;
    if !step(
        trace,
        "the account has no other identity at this connection",
        known.is_none(),
        match &known {
            Some(s) => format!("it is already {s:?} at {}", conn.name),
            None => "none".into(),
        },
    ) {
        let denial = Denial::IdentityConflict {
            account: other.id,
            known: known.unwrap_or_default(),
            subject: profile.subject.clone(),
        };
        return Ok(denied(denial, None));
    }

    let mut after = other.clone();
    if policy.update != UpdatePolicy::Never {
        apply_fields(&mut after, profile, login.mapping);
    }
    apply_roles(&mut after, profile, policy.role_sync);
    super::hybrid::ownership(tx, login, other.id)?.keep_owned(&other, &mut after, trace);
    let changes = diff(Some(&other), &after);
    after.first_login = other.first_login.or(Some(login.now));
    after.last_login = Some(login.now);
    after.login_count = other.login_count + 1;
    after.updated_at = login.now;
    after.identities.push(Identity { connection: conn.name.clone(), subject: profile.subject.clone(), linked: true });
    db::insert_identity(tx, conn.id, &profile.subject, other.id, true, login.now)?;
    db::update_user(tx, &after)?;
    Ok(Decision { outcome: Outcome::Linked, user: Some(after), diff: changes, denial: None })
}

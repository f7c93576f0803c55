//! HTML pages of the embedded SP: self-contained (inline CSS, no scripts, no remote
//! content), every value escaped. Nothing secret is ever rendered.

use std::fmt::Write as _;

use crate::login::{TestLogin, TestLoginSummary};
use crate::validate::CheckStatus;
use crate::workbench::ConnectionView;
use crate::xml::escape;

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1c2430}\
select,input{max-width:100%}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}table{border-collapse:collapse;width:100%}\
td,th{border-bottom:1px solid #dde3ea;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{background:#f3f6f9}code,pre{font:13px ui-monospace,monospace}pre{background:#f3f6f9;padding:1rem;overflow:auto;white-space:pre-wrap;word-break:break-all}\
.banner{padding:1rem 1.25rem;border-radius:.5rem;margin:1rem 0}.ok{background:#e5f6ea;border:1px solid #5bb974}\
.bad{background:#fdecec;border:1px solid #e06c6c}.pass{color:#1e7a3c}.fail{color:#b3261e;font-weight:600}.skip{color:#6b7785}\
.hint{color:#7a4b00}a{color:#1456b8}@media (prefers-color-scheme:dark){body{background:#12161c;color:#e3e8ee}\
th,pre{background:#1c232c}td,th{border-color:#2a333e}.ok{background:#123320}.bad{background:#3a1616}a{color:#8ab4f8}}";

pub fn layout(title: &str, body: &str) -> String {
    layout_styled(title, STYLE, body)
}

/// A page with its own style sheet (`style` is ours, never input).
pub fn layout_styled(title: &str, style: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} · Handshake</title><style>{style}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

pub fn error_page(status: u16, title: &str, message: &str) -> String {
    layout(
        title,
        &format!(
            "<h1>{}</h1><div class=\"banner bad\"><p>{}</p></div><p><a href=\"/\">Handshake</a> · HTTP {status}</p>",
            escape(title),
            escape(message)
        ),
    )
}

pub fn index(connections: &[ConnectionView], recent: &[TestLoginSummary]) -> String {
    let mut b = String::from("<h1>Handshake: embedded SP</h1>");
    if connections.is_empty() {
        b.push_str("<p>No connections yet. Import an IdP's metadata first (the app's Import screen, or <code>handshake connection import</code>).</p>");
    } else {
        b.push_str("<h2>Connections</h2><table><tr><th>Connection</th><th>IdP</th><th>ACS URL</th><th></th></tr>");
        for c in connections {
            let name = escape(&c.name);
            let _ = write!(
                b,
                "<tr><td>{name}</td><td><code>{}</code></td><td><code>{}</code></td>\
                 <td><a href=\"/saml/{name}/login\">Test login</a> · <a href=\"/saml/{name}/metadata\">SP metadata</a></td></tr>",
                escape(&c.idp_entity_id),
                escape(&c.sp.acs_url)
            );
        }
        b.push_str("</table>");
    }
    if !recent.is_empty() {
        b.push_str("<h2>Recent test logins</h2><table><tr><th>#</th><th>When</th><th>Connection</th><th>Outcome</th><th>Stopped by</th></tr>");
        for t in recent {
            let _ = write!(
                b,
                "<tr><td><a href=\"/test-logins/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                t.at.format("%Y-%m-%d %H:%M:%S UTC"),
                escape(&t.connection),
                t.outcome.as_str(),
                t.failed_check.map(|s| s.as_str()).unwrap_or(""),
                id = t.id
            );
        }
        b.push_str("</table>");
    }
    layout("Handshake", &b)
}

fn row(b: &mut String, k: &str, v: &str) {
    let _ = write!(b, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
}

pub fn result(t: &TestLogin) -> String {
    let r = &t.report;
    let ok = r.outcome.signed_in();
    let mut b = format!("<h1>Test login #{} · {}</h1>", t.id, escape(&t.connection));
    let _ = write!(
        b,
        "<div class=\"banner {}\"><strong>{}</strong>{}",
        if ok { "ok" } else { "bad" },
        escape(&r.outcome.as_str().to_uppercase()),
        if ok { " — the user is signed in" } else { "" }
    );
    if let Some(s) = &r.stopped_by {
        let _ = write!(b, "<p>Stopped by <code>{}</code> ({}).</p>", s.stop, escape(&s.code));
        let _ = write!(b, "<p>{}</p>", escape(&s.message));
        let _ = write!(b, "<p class=\"hint\">How to fix it: {}</p>", escape(&s.hint));
    }
    b.push_str("</div>");
    let _ = write!(
        b,
        "<p>{} · {} · request <code>{}</code></p>",
        t.at.format("%Y-%m-%d %H:%M:%S UTC"),
        match t.kind {
            crate::login::LoginKind::SpInitiated => "SP-initiated",
            crate::login::LoginKind::IdpInitiated => "IdP-initiated",
            crate::login::LoginKind::UnknownRequest => "answers an unknown or already answered request",
        },
        escape(t.request_id.as_deref().unwrap_or("none"))
    );

    if let Some(u) = &r.user {
        b.push_str("<h2>User record</h2><table>");
        row(&mut b, "id", &u.id.to_string());
        row(&mut b, "email", u.email.as_deref().unwrap_or(""));
        row(&mut b, "username", u.username.as_deref().unwrap_or(""));
        row(&mut b, "given name", u.given_name.as_deref().unwrap_or(""));
        row(&mut b, "family name", u.family_name.as_deref().unwrap_or(""));
        row(&mut b, "display name", u.display_name.as_deref().unwrap_or(""));
        row(&mut b, "groups", &u.groups.join(", "));
        row(&mut b, "roles", &u.roles.join(", "));
        for (k, v) in &u.custom {
            row(&mut b, k, v);
        }
        row(&mut b, "status", &format!("{:?}", u.status).to_lowercase());
        row(&mut b, "logins", &u.login_count.to_string());
        b.push_str("</table>");
    }
    if !r.diff.is_empty() {
        b.push_str("<h2>Changes</h2><table><tr><th>Field</th><th>Before</th><th>After</th></tr>");
        for c in &r.diff {
            let _ = write!(
                b,
                "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                escape(&c.field),
                escape(&c.before.to_string()),
                escape(&c.after.to_string())
            );
        }
        b.push_str("</table>");
    }
    b.push_str("<h2>Checks</h2><table><tr><th></th><th>Check</th><th>Expected</th><th>Found</th></tr>");
    for c in &r.checks {
        let (class, mark) = match c.status {
            CheckStatus::Pass => ("pass", "✓"),
            CheckStatus::Fail => ("fail", "✗"),
            CheckStatus::Skip => ("skip", "–"),
        };
        let _ = write!(
            b,
            "<tr><td class=\"{class}\">{mark}</td><td><code>{}</code><br><small>{}</small></td><td>{}</td><td>{}{}</td></tr>",
            escape(c.id.as_str()),
            escape(&c.title),
            escape(&c.expected),
            escape(&c.actual),
            c.hint.as_deref().map(|h| format!("<br><span class=\"hint\">{}</span>", escape(h))).unwrap_or_default()
        );
    }
    b.push_str("</table>");
    if !r.attributes.is_empty() || r.name_id.is_some() {
        b.push_str("<h2>Attributes received</h2><table><tr><th>Name</th><th>Values</th></tr>");
        if let Some(n) = &r.name_id {
            let _ = write!(
                b,
                "<tr><td>NameID <small>{}</small></td><td>{}</td></tr>",
                escape(n.format.as_deref().unwrap_or("")),
                escape(&n.value)
            );
        }
        for a in &r.attributes {
            let _ = write!(
                b,
                "<tr><td><code>{}</code>{}</td><td>{}</td></tr>",
                escape(&a.name),
                a.friendly_name.as_deref().map(|f| format!(" <small>({})</small>", escape(f))).unwrap_or_default(),
                a.values.iter().map(|v| escape(v)).collect::<Vec<_>>().join("<br>")
            );
        }
        b.push_str("</table>");
    }
    if let Some(trace) = &r.trace {
        b.push_str(
            "<h2>Mapping trace</h2><table><tr><th></th><th>Field</th><th>Source</th><th>Raw</th><th>Value</th></tr>",
        );
        for f in trace.subject.iter().chain(trace.fields.iter()) {
            let steps: String = f
                .steps
                .iter()
                .map(|s| format!("<br><small>{} → {}</small>", escape(&s.transform), escape(&s.output.join(" | "))))
                .collect();
            let hints: String =
                f.hints.iter().map(|h| format!("<br><span class=\"hint\">{}</span>", escape(h))).collect();
            let _ = write!(
                b,
                "<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}{steps}</td><td>{}{hints}</td></tr>",
                if f.matched { "pass" } else { "fail" },
                if f.matched { "✓" } else { "✗" },
                escape(&f.target),
                escape(&f.source),
                escape(&f.raw.join(" | ")),
                escape(&f.value.join(" | "))
            );
        }
        for a in &trace.access {
            let _ = write!(
                b,
                "<tr><td class=\"{}\">{}</td><td>access</td><td colspan=3>{} ({})</td></tr>",
                if a.passed { "pass" } else { "fail" },
                if a.passed { "✓" } else { "✗" },
                escape(&a.rule),
                escape(&a.detail)
            );
        }
        for rr in &trace.roles {
            let _ = write!(
                b,
                "<tr><td class=\"{}\">{}</td><td>role</td><td colspan=3>{}</td></tr>",
                if rr.matched { "pass" } else { "skip" },
                if rr.matched { "✓" } else { "·" },
                escape(&rr.rule)
            );
        }
        // Lifecycle `hybrid`/`scim`: the fields SCIM owns that this login did not write.
        for o in &trace.ownership {
            let _ = write!(
                b,
                "<tr><td class=\"skip\">·</td><td>{}</td><td colspan=3>{}</td></tr>",
                escape(&o.field),
                escape(&o.sentence())
            );
        }
        b.push_str("</table>");
    }
    if let Some(xml) = &t.response_xml {
        let _ = write!(b, "<h2>Decoded response</h2><pre>{}</pre>", escape(xml));
    }
    let back = t.return_to.as_deref().unwrap_or("/");
    let _ = write!(b, "<p><a href=\"{}\">Back to Handshake</a></p>", escape(back));
    layout(&format!("Test login #{}", t.id), &b)
}

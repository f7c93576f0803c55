//! The decoded response as indented lines, with the parts a verified signature covers
//! marked, so the result view can show exactly what the IdP vouched for.

use roxmltree::{Node, NodeType};

use super::XmlLine;
use crate::xml::NS_SAML;

/// Lines beyond this are cut (a hostile response must not freeze the window).
const MAX_LINES: usize = 5_000;
/// Deeper elements are summarised (SAML needs a dozen levels).
const MAX_DEPTH: u32 = 64;
/// Long text (certificates, signature values) is shortened for display.
const MAX_TEXT: usize = 120;

/// Pretty-prints `xml`; `response_signed` / `assertion_signed` mark the Response or the
/// Assertion subtree as signed. Unparsable input comes back as one line per source line.
pub fn lines(xml: &str, response_signed: bool, assertion_signed: bool) -> Vec<XmlLine> {
    let doc = match crate::xml::parse(xml) {
        Ok(d) => d,
        Err(_) => {
            return xml
                .lines()
                .take(MAX_LINES)
                .map(|l| XmlLine { depth: 0, text: l.to_owned(), signed: false, encrypted: false })
                .collect();
        }
    };
    let mut out = Vec::new();
    let root = doc.root_element();
    walk(root, 0, response_signed, false, assertion_signed, &mut out);
    out
}

fn is(node: Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

fn qualified(node: Node<'_, '_>) -> String {
    let name = node.tag_name().name();
    match node.tag_name().namespace().and_then(|ns| node.lookup_prefix(ns)) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{name}"),
        _ => name.to_owned(),
    }
}

fn shorten(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() <= MAX_TEXT {
        return t.to_owned();
    }
    let head: String = t.chars().take(MAX_TEXT).collect();
    format!("{head}… ({} characters)", t.chars().count())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn open_tag(node: Node<'_, '_>, self_closing: bool) -> String {
    let mut s = format!("<{}", qualified(node));
    for ns in node.namespaces() {
        // Only the declarations made on this element.
        if node.parent_element().is_some_and(|p| p.namespaces().any(|pn| pn == ns)) {
            continue;
        }
        match ns.name() {
            Some(prefix) => s.push_str(&format!(" xmlns:{prefix}=\"{}\"", ns.uri())),
            None => s.push_str(&format!(" xmlns=\"{}\"", ns.uri())),
        }
    }
    for a in node.attributes() {
        s.push_str(&format!(" {}=\"{}\"", a.name(), escape(&shorten(a.value()))));
    }
    s.push_str(if self_closing { "/>" } else { ">" });
    s
}

fn walk(node: Node<'_, '_>, depth: u32, signed: bool, encrypted: bool, assertion_signed: bool, out: &mut Vec<XmlLine>) {
    if out.len() >= MAX_LINES {
        return;
    }
    if depth > MAX_DEPTH {
        out.push(XmlLine { depth, text: "… (nested too deeply to show)".into(), signed, encrypted });
        return;
    }
    let signed = signed || (assertion_signed && is(node, NS_SAML, "Assertion"));
    let encrypted = encrypted || is(node, NS_SAML, "EncryptedAssertion");
    let push = |out: &mut Vec<XmlLine>, depth: u32, text: String| {
        out.push(XmlLine { depth, text, signed, encrypted });
    };
    let children: Vec<Node<'_, '_>> = node
        .children()
        .filter(|c| c.is_element() || (c.is_text() && c.text().is_some_and(|t| !t.trim().is_empty())))
        .collect();
    match children.as_slice() {
        [] => push(out, depth, open_tag(node, true)),
        [only] if only.node_type() == NodeType::Text => {
            let text = escape(&shorten(only.text().unwrap_or_default()));
            push(out, depth, format!("{}{text}</{}>", open_tag(node, false), qualified(node)));
        }
        _ => {
            push(out, depth, open_tag(node, false));
            for c in children {
                if c.is_element() {
                    walk(c, depth + 1, signed, encrypted, assertion_signed, out);
                } else if out.len() < MAX_LINES {
                    push(out, depth + 1, escape(&shorten(c.text().unwrap_or_default())));
                }
            }
            push(out, depth, format!("</{}>", qualified(node)));
        }
    }
}

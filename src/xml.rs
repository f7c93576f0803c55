//! Safe XML parsing shared by metadata import and response validation.
//!
//! roxmltree never expands entities, never touches the network or the file system,
//! and with `allow_dtd: false` refuses any DOCTYPE outright: exactly what hostile
//! SAML input calls for.

use roxmltree::{Document, Node, ParsingOptions};

mod scan;

use scan::{Parsers, check_parse_cost};
pub use scan::{own_declarations, unbound_prefixes};

pub use crate::saml::{NS_DS, NS_EXC_C14N, NS_MD, NS_SAML, NS_SAMLP, NS_XENC, NS_XENC11, NS_XS, NS_XSI};

/// The namespace a well-known prefix stands for in SAML documents, whoever writes it.
pub fn standard_namespace(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "saml" | "saml2" => NS_SAML,
        "samlp" | "saml2p" => NS_SAMLP,
        "md" => NS_MD,
        "ds" | "dsig" => NS_DS,
        "xenc" => NS_XENC,
        "xenc11" => NS_XENC11,
        "xs" | "xsd" => NS_XS,
        "xsi" => NS_XSI,
        "ec" => NS_EXC_C14N,
        _ => return None,
    })
}

/// Why a document could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// The document declares a DTD (`<!DOCTYPE`), which SAML never needs and XXE attacks use.
    Doctype,
    /// Not well-formed XML; the message comes from the parser and names the position.
    Malformed(String),
    /// Refused before parsing: crafted to make the parsers slow (see `scan::check_parse_cost`).
    TooComplex { line: u32, attributes: u64, namespaces_in_scope: u64 },
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XmlError::Doctype => f.write_str("the document contains a DOCTYPE declaration"),
            XmlError::Malformed(m) => write!(f, "not well-formed XML: {m}"),
            XmlError::TooComplex { line, attributes, namespaces_in_scope } => write!(
                f,
                "refused before parsing: at line {line} an element has {attributes} attribute(s) and \
                 {namespaces_in_scope} namespace declaration(s) in scope, which would make parsing take very long"
            ),
        }
    }
}

/// Parses `text` with DTDs refused and parser-hostile shapes refused up front.
/// A leading UTF-8 byte-order mark is tolerated.
pub fn parse(text: &str) -> Result<Document<'_>, XmlError> {
    parse_for(text, Parsers::Roxmltree)
}

/// [`parse`] for a document whose signatures xmlsec will check: libxml2 parses it again,
/// with costs that also grow with depth, and the up-front refusal models those too.
pub fn parse_signed(text: &str) -> Result<Document<'_>, XmlError> {
    parse_for(text, Parsers::WithLibxml2)
}

fn parse_for(text: &str, parsers: Parsers) -> Result<Document<'_>, XmlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_parse_cost(text, parsers)?;
    let options = ParsingOptions { allow_dtd: false, nodes_limit: 2_000_000, ..ParsingOptions::default() };
    Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => XmlError::Doctype,
        other => XmlError::Malformed(other.to_string()),
    })
}

/// True when `node` is the element `{ns}local`.
pub fn is(node: Node<'_, '_>, ns: &str, local: &str) -> bool {
    node.is_element() && node.tag_name().name() == local && node.tag_name().namespace() == Some(ns)
}

/// Element children of `node` named `{ns}local`.
pub fn children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    ns: &'a str,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children().filter(move |c| is(*c, ns, local))
}

/// The first element child of `node` named `{ns}local`.
pub fn child<'a, 'input: 'a>(node: Node<'a, 'input>, ns: &'a str, local: &'a str) -> Option<Node<'a, 'input>> {
    children(node, ns, local).next()
}

/// Every descendant element (including `node` itself) named `{ns}local`.
pub fn descendants<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    ns: &'a str,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.descendants().filter(move |c| is(*c, ns, local))
}

/// The element's whole text: every descendant text node concatenated, comments and
/// processing instructions dropped. This is the value the signer saw after
/// exclusive canonicalization, so a comment cannot truncate a NameID
/// (`user@evil.com<!---->.example.com` reads as the full string).
pub fn text(node: Node<'_, '_>) -> String {
    node.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect()
}

/// Like [`text`], with XML whitespace (#x20 #x9 #xD #xA) removed at both ends, and nothing
/// else: the identifier rule of [`crate::identity`] (a no-break space is data).
pub fn trimmed_text(node: Node<'_, '_>) -> String {
    crate::identity::xml_trim(&text(node)).to_owned()
}

/// The source text of the element, byte for byte.
pub fn source<'input>(doc: &Document<'input>, node: Node<'_, 'input>) -> &'input str {
    doc.input_text().get(node.range()).unwrap_or_default()
}

/// Escapes text for use inside an XML attribute value or element content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctype_is_refused() {
        let xml = r#"<!DOCTYPE r [<!ENTITY x "boom">]><r>&x;</r>"#;
        assert_eq!(parse(xml).unwrap_err(), XmlError::Doctype);
    }

    #[test]
    fn text_skips_comments() {
        let doc = parse("<n>user@evil.com<!---->.example.com</n>").unwrap(); // ok: test
        assert_eq!(text(doc.root_element()), "user@evil.com.example.com");
    }

    #[test]
    fn bom_is_tolerated() {
        assert!(parse("\u{feff}<a/>").is_ok());
    }
}

//! Safe XML parsing shared by metadata import and response validation.
//!
//! roxmltree never expands entities, never touches the network or the file system,
//! and with `allow_dtd: false` refuses any DOCTYPE outright: exactly what hostile
//! SAML input calls for.

use roxmltree::{Document, Node, ParsingOptions};

pub const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const NS_MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const NS_XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
pub const NS_XENC11: &str = "http://www.w3.org/2009/xmlenc11#";

/// Why a document could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// The document declares a DTD (`<!DOCTYPE`), which SAML never needs and XXE attacks use.
    Doctype,
    /// Not well-formed XML; the message comes from the parser and names the position.
    Malformed(String),
    /// Refused before parsing: crafted to make the parser slow (see [`check_parse_cost`]).
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_parse_cost(text)?;
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

/// Budget for the per-element attribute and namespace bookkeeping roxmltree does, in
/// comparisons. Real metadata needs a few hundred thousand at most (the 1.3 MB SWITCH
/// aggregate: about 130,000); 20 million parse in well under a second even in a debug build.
const PARSE_WORK_BUDGET: u64 = 20_000_000;

/// Refuses documents crafted to make roxmltree slow, in one linear pass before parsing.
///
/// roxmltree checks every attribute of an element against the element's other attributes
/// (quadratic in attributes per element), and every element that declares a namespace
/// copies and re-checks all namespaces in scope (quadratic per element, cubic over a
/// nesting of declaring elements: 5,000 nested `<a xmlns:pN="...">`, 120 KB, took 8 minutes
/// in a debug build).
/// This scan estimates that work from the raw text (start tags, their attributes and
/// `xmlns` declarations, skipping comments, CDATA and processing instructions) and stops
/// at the budget. Anything it does not understand is left to the parser to report.
fn check_parse_cost(text: &str) -> Result<(), XmlError> {
    check_parse_cost_within(text, PARSE_WORK_BUDGET)
}

fn check_parse_cost_within(text: &str, budget: u64) -> Result<(), XmlError> {
    let bytes = text.as_bytes();
    let find_from = |from: usize, marker: &str| -> Option<usize> {
        text.get(from..)?.find(marker).map(|i| from + i + marker.len())
    };
    let mut pos = 0usize;
    let mut open: Vec<u64> = Vec::new(); // namespace declarations of each open element
    let mut in_scope: u64 = 0;
    let mut work: u64 = 0;
    while let Some(lt) = text.get(pos..).and_then(|t| t.find('<')).map(|i| pos + i) {
        let rest = text.get(lt + 1..).unwrap_or_default();
        let skip_to = if rest.starts_with("!--") {
            find_from(lt + 4, "-->")
        } else if rest.starts_with("![CDATA[") {
            find_from(lt + 9, "]]>")
        } else if rest.starts_with('?') {
            find_from(lt + 2, "?>")
        } else if rest.starts_with('!') {
            return Ok(()); // a DOCTYPE: the parser refuses it
        } else if rest.starts_with('/') {
            if let Some(declared) = open.pop() {
                in_scope = in_scope.saturating_sub(declared);
            }
            find_from(lt + 1, ">")
        } else {
            None
        };
        if rest.starts_with(['!', '?', '/']) {
            match skip_to {
                Some(next) => {
                    pos = next;
                    continue;
                }
                None => return Ok(()), // unterminated: the parser reports it
            }
        }

        // A start tag: count its attributes (`=` outside quotes) and xmlns declarations.
        let mut i = lt + 1;
        let (mut attributes, mut declarations) = (0u64, 0u64);
        let mut last = b'<';
        let mut end = None;
        while let Some(&c) = bytes.get(i) {
            match c {
                b'"' | b'\'' => {
                    // Jump over the quoted value (it may contain '>' and '=').
                    let closing = if c == b'"' { "\"" } else { "'" };
                    match find_from(i + 1, closing) {
                        Some(after) => i = after - 1,
                        None => return Ok(()),
                    }
                }
                b'=' => {
                    attributes += 1;
                    let name = attribute_name_before(bytes, i);
                    if name == b"xmlns" || name.starts_with(b"xmlns:") {
                        declarations += 1;
                    }
                }
                b'>' => {
                    end = Some(i);
                    break;
                }
                b'<' => break,
                _ => {}
            }
            if !c.is_ascii_whitespace() {
                last = c;
            }
            i += 1;
        }
        let Some(end) = end else { return Ok(()) };
        in_scope += declarations;
        work = work
            .saturating_add(attributes.saturating_mul(attributes))
            .saturating_add(in_scope.saturating_mul(attributes + 1));
        if declarations > 0 {
            work = work.saturating_add(in_scope.saturating_mul(in_scope));
        }
        if work > budget {
            let line = text.get(..lt).map_or(0, |t| t.matches('\n').count()) + 1;
            return Err(XmlError::TooComplex {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                attributes,
                namespaces_in_scope: in_scope,
            });
        }
        if last == b'/' {
            in_scope -= declarations; // self-closing: its declarations end here
        } else {
            open.push(declarations);
        }
        pos = end + 1;
    }
    Ok(())
}

/// The attribute name just before the `=` at `eq`: skips whitespace back, then takes
/// bytes up to a delimiter. The walk stops at the previous `=`, quote or whitespace, so
/// every byte is walked at most once over a whole tag.
fn attribute_name_before(bytes: &[u8], eq: usize) -> &[u8] {
    let mut end = eq;
    while end > 0 && bytes.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
        end -= 1;
    }
    let mut start = end;
    while start > 0
        && bytes.get(start - 1).is_some_and(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'=' | b'<'))
    {
        start -= 1;
    }
    bytes.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost_error(text: &str, budget: u64) -> Option<(u32, u64, u64)> {
        match check_parse_cost_within(text, budget) {
            Ok(()) => None,
            Err(XmlError::TooComplex { line, attributes, namespaces_in_scope }) => {
                Some((line, attributes, namespaces_in_scope))
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn scanner_counts_attributes_outside_quotes() {
        // '>' and '=' and "xmlns:" inside values are data.
        let tag = r#"<a b="x>y" c='=xmlns:q=""' d = "1"/>"#;
        assert_eq!(cost_error(tag, 8), Some((1, 3, 0)));
        assert_eq!(cost_error(tag, 9 + 3), None);
    }

    #[test]
    fn scanner_tracks_namespace_scope() {
        // Declarations end with their element: <c> sees one declaration in scope, not two.
        let text = "<r>\n<a xmlns:x=\"1\"></a>\n<c xmlns:y=\"2\"/></r>";
        // <a>: 1 attr, 1 in scope: 1 + 1*2 + 1 = 4; <c>: the same, 4 more.
        assert_eq!(cost_error(text, 7), Some((3, 1, 1)));
        assert_eq!(cost_error(text, 8), None);
        // Nested: the second declaration sees two in scope.
        let nested = r#"<a xmlns="u"><b xmlns:p="v"/></a>"#;
        assert_eq!(cost_error(nested, 4 + 8), Some((1, 1, 2)));
    }

    #[test]
    fn scanner_skips_comments_cdata_and_pis() {
        let text = r#"<?xml version="1.0"?><!-- <a x="1" y="2"> --><r><![CDATA[<b z="1">]]></r>"#;
        assert_eq!(cost_error(text, 0), None);
        // Left to the parser: DOCTYPE, unterminated tags and comments.
        assert_eq!(cost_error(r#"<!DOCTYPE r><r a="1" b="2"/>"#, 0), None);
        assert_eq!(cost_error(r#"<r a="1" b="2""#, 0), None);
        assert_eq!(cost_error("<!-- <r a='1'/>", 0), None);
    }

    #[test]
    fn attribute_names() {
        let tag = br#"<a xmlns:p="1"   xmlns = "2" b='3'"#;
        let eqs: Vec<usize> = tag.iter().enumerate().filter(|(_, c)| **c == b'=').map(|(i, _)| i).collect();
        let names: Vec<&[u8]> = eqs.iter().map(|i| attribute_name_before(tag, *i)).collect();
        assert_eq!(names, [&b"xmlns:p"[..], b"xmlns", b"b"]);
        assert_eq!(attribute_name_before(b"=", 0), b"");
    }

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

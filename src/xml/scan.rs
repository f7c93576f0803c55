//! A linear scan of raw XML text, before (or beside) parsing: start and end tags with
//! their attributes and namespace declarations, comments, CDATA and processing
//! instructions skipped. It never fails: anything it does not understand (a DOCTYPE, an
//! unterminated construct) ends the scan and is left to the parser to report.
//!
//! Two uses: [`check_parse_cost`] refuses documents built to make the parsers slow, and
//! [`unbound_prefixes`] finds the prefixes a fragment (a decrypted assertion) uses without
//! declaring them, so that it is parsed once with exactly the bindings it needs.

use roxmltree::{Document, Node};

use super::XmlError;

/// One start tag as the scanner reads it.
pub(crate) struct StartTag<'t> {
    /// The tag's text, `<` to `>` inclusive.
    text: &'t str,
    /// Byte offset of the `<` in the scanned text.
    at: usize,
    /// Attributes, namespace declarations included (each `=` outside quotes).
    attributes: u64,
    /// `xmlns` and `xmlns:p` declarations.
    declarations: u64,
    self_closing: bool,
}

pub(crate) enum Markup<'t> {
    Start(StartTag<'t>),
    End,
}

/// Walks the tags of a text in document order.
pub(crate) struct Scanner<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Scanner<'t> {
    pub fn new(text: &'t str) -> Self {
        Scanner { text, pos: 0 }
    }

    /// The position just after the first `marker` at or after `from`.
    fn after(&self, from: usize, marker: &str) -> Option<usize> {
        self.text.get(from..)?.find(marker).map(|i| from + i + marker.len())
    }
}

impl<'t> Iterator for Scanner<'t> {
    type Item = Markup<'t>;

    fn next(&mut self) -> Option<Markup<'t>> {
        loop {
            let lt = self.pos + self.text.get(self.pos..)?.find('<')?;
            let rest = self.text.get(lt + 1..)?;
            let skip_to = if rest.starts_with("!--") {
                self.after(lt + 4, "-->")
            } else if rest.starts_with("![CDATA[") {
                self.after(lt + 9, "]]>")
            } else if rest.starts_with('?') {
                self.after(lt + 2, "?>")
            } else if rest.starts_with('!') {
                None // a DOCTYPE: the parser refuses it
            } else if rest.starts_with('/') {
                let next = self.after(lt + 1, ">")?;
                self.pos = next;
                return Some(Markup::End);
            } else {
                let tag = start_tag(self.text, lt)?;
                self.pos = lt + tag.text.len();
                return Some(Markup::Start(tag));
            };
            self.pos = skip_to?;
        }
    }
}

/// The start tag whose `<` is at `lt`; `None` when it is not terminated.
fn start_tag(text: &str, lt: usize) -> Option<StartTag<'_>> {
    let bytes = text.as_bytes();
    let mut i = lt + 1;
    let (mut attributes, mut declarations) = (0u64, 0u64);
    let mut last = b'<';
    loop {
        let c = *bytes.get(i)?;
        match c {
            b'"' | b'\'' => {
                // Jump over the quoted value (it may contain '>' and '=').
                let closing = if c == b'"' { "\"" } else { "'" };
                i += text.get(i + 1..)?.find(closing)? + 1;
            }
            b'=' => {
                attributes += 1;
                if is_declaration(attribute_name_before(bytes, i)) {
                    declarations += 1;
                }
            }
            b'>' => {
                return Some(StartTag {
                    text: text.get(lt..=i)?,
                    at: lt,
                    attributes,
                    declarations,
                    self_closing: last == b'/',
                });
            }
            b'<' => return None,
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            last = c;
        }
        i += 1;
    }
}

impl<'t> StartTag<'t> {
    /// The element's qualified name.
    pub fn name(&self) -> &'t str {
        let body = self.text.get(1..).unwrap_or_default();
        let end = body.find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>').unwrap_or(body.len());
        body.get(..end).unwrap_or_default()
    }

    /// Every attribute's qualified name, declarations included.
    pub fn attribute_names(&self) -> impl Iterator<Item = &'t str> + '_ {
        let bytes = self.text.as_bytes();
        let mut i = 0usize;
        std::iter::from_fn(move || {
            while let Some(&c) = bytes.get(i) {
                match c {
                    b'"' | b'\'' => {
                        let closing = if c == b'"' { '"' } else { '\'' };
                        i += self.text.get(i + 1..).and_then(|t| t.find(closing)).map_or(bytes.len(), |n| n + 1);
                    }
                    b'=' => {
                        let name = attribute_name_before(bytes, i);
                        i += 1;
                        return std::str::from_utf8(name).ok();
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        })
    }
}

fn is_declaration(name: &[u8]) -> bool {
    name == b"xmlns" || name.starts_with(b"xmlns:")
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

/// The namespace declarations written on `element`'s own start tag (roxmltree only tells
/// which namespaces are in scope, and shadowed declarations still cost xmlsec).
pub fn own_declarations(doc: &Document<'_>, element: Node<'_, '_>) -> u64 {
    start_tag(doc.input_text(), element.range().start).map_or(0, |t| t.declarations)
}

/// Budget for the parsers' per-element attribute and namespace bookkeeping, in comparisons
/// (see [`check_parse_cost`]). Real metadata needs a few hundred thousand at most (the
/// 1.3 MB SWITCH aggregate: about 130,000); 20 million parse in well under a second even
/// in a debug build.
const PARSE_WORK_BUDGET: u64 = 20_000_000;

/// Who parses the text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Parsers {
    /// roxmltree only (metadata, xmlsec's own output).
    Roxmltree,
    /// roxmltree, then libxml2 again for xmlsec (responses, decrypted assertions).
    WithLibxml2,
}

/// Refuses documents crafted to make the parsers slow, in one linear pass before parsing.
///
/// roxmltree checks every attribute of an element against the element's other attributes
/// (quadratic in attributes per element), and every element that declares a namespace
/// copies and re-checks all namespaces in scope (quadratic per element, cubic over a
/// nesting of declaring elements: 5,000 nested `<a xmlns:pN="...">`, 120 KB, took 8 minutes
/// in a debug build); finding a prefix searches the declarations in scope. libxml2, which
/// parses a response again for xmlsec, resolves the prefix of every element and attribute
/// by walking up the ancestors and their declarations: (attributes + 1) × (declarations in
/// scope + depth) per element. roxmltree has no cost that grows with depth alone, so
/// metadata nested 50,000 deep still parses.
/// This scan estimates that work from the raw text and stops at the budget.
pub(crate) fn check_parse_cost(text: &str, parsers: Parsers) -> Result<(), XmlError> {
    check_parse_cost_within(text, PARSE_WORK_BUDGET, parsers)
}

fn check_parse_cost_within(text: &str, budget: u64, parsers: Parsers) -> Result<(), XmlError> {
    let mut open: Vec<u64> = Vec::new(); // namespace declarations of each open element
    let mut in_scope: u64 = 0;
    let mut work: u64 = 0;
    for markup in Scanner::new(text) {
        let tag = match markup {
            Markup::End => {
                in_scope = in_scope.saturating_sub(open.pop().unwrap_or(0));
                continue;
            }
            Markup::Start(tag) => tag,
        };
        let (attributes, declarations) = (tag.attributes, tag.declarations);
        in_scope += declarations;
        // libxml2 walks up the ancestors; roxmltree only searches the declarations in scope.
        let walk = if parsers == Parsers::WithLibxml2 { in_scope + open.len() as u64 + 1 } else { in_scope };
        work = work
            .saturating_add(attributes.saturating_mul(attributes))
            .saturating_add((attributes + 1).saturating_mul(walk));
        if declarations > 0 {
            work = work.saturating_add(in_scope.saturating_mul(in_scope));
        }
        if work > budget {
            let line = text.get(..tag.at).map_or(0, |t| t.matches('\n').count()) + 1;
            return Err(XmlError::TooComplex {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                attributes,
                namespaces_in_scope: in_scope,
            });
        }
        if tag.self_closing {
            in_scope -= declarations; // its declarations end here
        } else {
            open.push(declarations);
        }
    }
    Ok(())
}

/// The prefixes `text` uses on element or attribute names where no enclosing element (of
/// the text itself) declares them, in order of first use. `xml` is always bound.
pub fn unbound_prefixes(text: &str) -> Vec<String> {
    let mut declared: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut open: Vec<Vec<&str>> = Vec::new();
    let mut unbound: Vec<String> = Vec::new();
    let close = |prefixes: Vec<&str>, declared: &mut std::collections::HashMap<&str, usize>| {
        for p in prefixes {
            if let Some(n) = declared.get_mut(p) {
                *n = n.saturating_sub(1);
            }
        }
    };
    for markup in Scanner::new(text) {
        let tag = match markup {
            Markup::End => {
                if let Some(prefixes) = open.pop() {
                    close(prefixes, &mut declared);
                }
                continue;
            }
            Markup::Start(tag) => tag,
        };
        let own: Vec<&str> = tag.attribute_names().filter_map(|n| n.strip_prefix("xmlns:")).collect();
        for p in &own {
            *declared.entry(p).or_default() += 1;
        }
        let used = std::iter::once(tag.name()).chain(tag.attribute_names()).filter_map(|n| n.split_once(':'));
        for (prefix, _) in used {
            let bound = prefix == "xml" || prefix == "xmlns" || declared.get(prefix).is_some_and(|n| *n > 0);
            if !bound && !unbound.iter().any(|u| u == prefix) {
                unbound.push(prefix.to_owned());
            }
        }
        if tag.self_closing {
            close(own, &mut declared);
        } else {
            open.push(own);
        }
    }
    unbound
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost_error(text: &str, budget: u64) -> Option<(u32, u64, u64)> {
        cost_error_for(text, budget, Parsers::Roxmltree)
    }

    fn cost_error_for(text: &str, budget: u64, parsers: Parsers) -> Option<(u32, u64, u64)> {
        match check_parse_cost_within(text, budget, parsers) {
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
    fn libxml2_walks_up_the_ancestors() {
        // Depth costs nothing for roxmltree, 1+2+3+4 for libxml2.
        let deep = "<a><a><a><a/></a></a></a>";
        assert_eq!(cost_error(deep, 0), None);
        assert_eq!(cost_error_for(deep, 9, Parsers::WithLibxml2), Some((1, 0, 0)));
        assert_eq!(cost_error_for(deep, 10, Parsers::WithLibxml2), None);
        // <a>: 1 + 2*(1+1) + 1 = 6; <b>: 1 + 2*(2+2) + 4 = 13.
        let nested = r#"<a xmlns="u"><b xmlns:p="v"/></a>"#;
        assert_eq!(cost_error_for(nested, 18, Parsers::WithLibxml2), Some((1, 1, 2)));
        assert_eq!(cost_error_for(nested, 19, Parsers::WithLibxml2), None);
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
        let tag = start_tag(r#"<p:a xmlns:p="1" q:b='x="y"' c="2"/>"#, 0).unwrap();
        assert_eq!(tag.name(), "p:a");
        assert_eq!(tag.attribute_names().collect::<Vec<_>>(), ["xmlns:p", "q:b", "c"]);
        assert_eq!((tag.attributes, tag.declarations, tag.self_closing), (3, 1, true));
    }

    #[test]
    fn unbound_prefixes_in_order_of_use() {
        let text = r#"<saml:Assertion xmlns:saml="urn:a"><saml:X xsi:type="xs:string"/><b:Y xmlns:b="u"><b:Z/></b:Y><b:W xml:lang="en"/><!-- <c:V/> --></saml:Assertion>"#;
        // xs appears only inside a value: not a use.
        assert_eq!(unbound_prefixes(text), ["xsi", "b"]);
        assert!(unbound_prefixes(r#"<a xmlns:p="u"><p:b/></a>"#).is_empty());
        // A declaration on a self-closing element ends with it.
        assert_eq!(unbound_prefixes(r#"<r><p:a xmlns:p="u"/><p:b/></r>"#), ["p"]);
    }

    #[test]
    fn own_declarations_of_parsed_elements() {
        let doc = roxmltree::Document::parse(r#"<a xmlns:p="1" x="y"><p:b xmlns:p="2" xmlns="3"/></a>"#).unwrap();
        let counts: Vec<u64> =
            doc.descendants().filter(|n| n.is_element()).map(|n| own_declarations(&doc, n)).collect();
        assert_eq!(counts, [1, 2]);
    }
}

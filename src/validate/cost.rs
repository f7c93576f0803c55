//! What verifying a document's signatures costs xmlsec, estimated from the roxmltree
//! document we already hold and bounded before xmlsec runs.
//!
//! Anyone can POST to the ACS, and a forged signature costs the verifier as much as a real
//! one: xmlsec canonicalizes and digests the signed content before it can tell. For every
//! certificate tried, samael has libxml2 parse the whole text again (and wraps every node),
//! then xmlsec canonicalizes twice per signature (the referenced element, then SignedInfo).
//! libxml2's C14N walks the whole document for each, not only the signed part, and per
//! element it does:
//! - inclusive C14N: for every namespace declaration on the element and its ancestors,
//!   a prefix lookup up the ancestors and a search of what the parent rendered:
//!   declarations × (declarations + depth);
//! - exclusive C14N: for the element's and its attributes' namespaces (and each
//!   InclusiveNamespaces prefix), a search of the stack of every namespace its output
//!   ancestors used: (1 + namespaced attributes + prefixes) × (that stack + declarations + depth);
//! - both: a sorted insert per attribute and a node-set membership test per node that
//!   walks up the ancestors.
//!
//! The estimate sums those per element, the bytes written and hashed, and a fixed cost per
//! node and per certificate, in units of roughly a nanosecond on the project's machine
//! (benches/hostile.rs measures the shapes this model was fitted on).

use roxmltree::{Document, NodeId};

use super::violation::Violation;
use crate::xml;

/// How a pass canonicalizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct C14n {
    pub exclusive: bool,
    /// InclusiveNamespaces PrefixList entries (exclusive only).
    pub prefixes: u64,
}

impl C14n {
    /// The canonicalization a transform or CanonicalizationMethod URI names; a Reference
    /// without one gets inclusive C14N 1.0, as XML-DSig says.
    pub fn from_uri(uri: Option<&str>, prefixes: usize) -> C14n {
        let exclusive = uri.is_some_and(|u| u.starts_with("http://www.w3.org/2001/10/xml-exc-c14n#"));
        C14n { exclusive, prefixes: if exclusive { prefixes as u64 } else { 0 } }
    }
}

/// Work units xmlsec may spend on judging one response (every signature, every certificate
/// tried). On the project's 2-core machine the shapes the model was fitted on take at most
/// about a nanosecond per unit, whole validation included: about 0.12 s at the budget. A
/// real response with 5,000 group values (540 KB) needs 20 million, one with 20,000 (2 MB)
/// 79 million.
pub const VERIFY_WORK_BUDGET: u64 = 120_000_000;

/// libxml2 stops at this depth unless asked for XML_PARSE_HUGE (samael does not ask), and
/// in the recovery mode samael parses with, xmlsec then checks the truncated rest: deeper
/// documents would not be the same document for xmlsec and for us.
pub const MAX_DEPTH: u64 = 256;

/// libxml2's tree (built and freed) and samael's node wrappers, per node and per parse.
const NODE_COST: u64 = 900;
/// The same per attribute (libxml2 gives each a node and a text child).
const ATTRIBUTE_COST: u64 = 700;
/// Per node and per canonicalization pass: visiting it, testing membership.
const PASS_NODE_COST: u64 = 60;
/// Loading a certificate's key into xmlsec (OpenSSL 3's decoder is slow), per attempt.
const KEY_COST: u64 = 150_000;

/// What the estimate found, for the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Estimate {
    pub work: u64,
    pub nodes: u64,
    pub max_depth: u64,
    /// Most namespace declarations in scope of one element (shadowed ones included).
    pub max_declarations: u64,
}

struct Frame {
    id: NodeId,
    depth: u64,
    declarations: u64,
    /// Namespace uses the exclusive C14N stack holds for this element's children.
    stack: u64,
}

/// Estimated work of verifying `doc` with the given canonicalization `passes` (two per
/// signature), once per certificate in `attempts`.
pub fn estimate(doc: &Document<'_>, passes: &[C14n], attempts: u64) -> Estimate {
    let mut frames: Vec<Frame> = vec![Frame { id: doc.root().id(), depth: 0, declarations: 0, stack: 0 }];
    let mut parse: u64 = 0;
    let mut pass_work: u64 = 0;
    let mut est = Estimate::default();
    let mut escapes: u64 = 0;
    for node in doc.root().descendants().skip(1) {
        let parent = node.parent().map(|p| p.id());
        while frames.len() > 1 && frames.last().map(|f| f.id) != parent {
            frames.pop();
        }
        let (parent_depth, parent_declarations, parent_stack) =
            frames.last().map_or((0, 0, 0), |f| (f.depth, f.declarations, f.stack));
        let d = parent_depth + 1;
        est.nodes += 1;
        est.max_depth = est.max_depth.max(d);
        pass_work = pass_work.saturating_add((d + PASS_NODE_COST).saturating_mul(passes.len() as u64));
        if node.is_text() {
            // Characters C14N writes as references (from CDATA, one byte becomes up to five).
            escapes +=
                node.text().map_or(0, |t| t.bytes().filter(|b| matches!(b, b'<' | b'&' | b'>' | b'\r')).count()) as u64;
            continue;
        }
        if !node.is_element() {
            continue;
        }
        let declarations = parent_declarations + xml::own_declarations(doc, node);
        est.max_declarations = est.max_declarations.max(declarations);
        let attributes = node.attributes().len() as u64;
        let namespaced: Vec<usize> = node.attributes().filter_map(|a| a.namespace().map(str::len)).collect();
        let ns_attributes = namespaced.len() as u64;
        let used_uri_bytes =
            (node.tag_name().namespace().map_or(0, str::len) + namespaced.iter().sum::<usize>()) as u64;
        escapes += node
            .attributes()
            .map(|a| a.value().bytes().filter(|b| matches!(b, b'"' | b'\t' | b'\n' | b'\r')).count() as u64)
            .sum::<u64>();
        parse = parse
            .saturating_add((1 + attributes).saturating_mul(declarations + d))
            .saturating_add(attributes.saturating_mul(ATTRIBUTE_COST));
        for pass in passes {
            let namespaces = if pass.exclusive {
                let p = pass.prefixes;
                let items = 1 + ns_attributes + p;
                let search = parent_stack + p.saturating_mul(d) + ns_attributes + p + declarations + d;
                // Exclusive C14N re-renders a namespace on every element whose output
                // parent did not use it: its URI is written and hashed each time.
                items.saturating_mul(search).saturating_add(used_uri_bytes)
            } else {
                declarations.saturating_mul(2 * declarations + 4 * d)
            };
            pass_work = pass_work.saturating_add(namespaces).saturating_add(attributes.saturating_mul(attributes + d));
        }
        frames.push(Frame { id: node.id(), depth: d, declarations, stack: parent_stack + 1 + ns_attributes });
    }
    let bytes = doc.input_text().len() as u64 + 5 * escapes;
    parse = parse.saturating_add(est.nodes.saturating_mul(NODE_COST)).saturating_add(bytes);
    pass_work = pass_work.saturating_add(bytes.saturating_mul(passes.len() as u64));
    est.work = parse.saturating_add(pass_work).saturating_add(KEY_COST).saturating_mul(attempts);
    est
}

/// What xmlsec may still spend on judging one response: every verification call (the
/// Response, then a decrypted Assertion) draws from one [`VERIFY_WORK_BUDGET`].
#[derive(Debug)]
pub struct Allowance {
    left: u64,
}

impl Default for Allowance {
    fn default() -> Self {
        Allowance { left: VERIFY_WORK_BUDGET }
    }
}

impl Allowance {
    /// Takes the estimated work of verifying `doc` from the allowance, or refuses it
    /// (before xmlsec runs) when it would exceed what is left.
    pub fn spend(&mut self, doc: &Document<'_>, passes: &[C14n], attempts: usize) -> Result<(), Violation> {
        let est = estimate(doc, passes, attempts as u64);
        tracing::debug!(
            work = est.work,
            left = self.left,
            nodes = est.nodes,
            attempts,
            "signature verification estimate"
        );
        if est.max_depth > MAX_DEPTH {
            return Err(Violation::SignedContentTooComplex {
                work: est.work,
                limit: VERIFY_WORK_BUDGET,
                detail: format!(
                    "elements nested {} deep; xmlsec's parser (libxml2) reads at most {MAX_DEPTH} levels and would check a \
                     truncated document",
                    est.max_depth
                ),
            });
        }
        if est.work <= self.left {
            self.left -= est.work;
            return Ok(());
        }
        let inclusive = passes.iter().any(|p| !p.exclusive);
        Err(Violation::SignedContentTooComplex {
            work: est.work.saturating_add(VERIFY_WORK_BUDGET - self.left),
            limit: VERIFY_WORK_BUDGET,
            detail: format!(
                "{} nodes nested up to {} deep, up to {} namespace declarations in scope of an element, {} \
                 canonicalization, {attempts} certificate(s) to try",
                est.nodes,
                est.max_depth,
                est.max_declarations,
                if inclusive { "inclusive" } else { "exclusive" },
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXC: C14n = C14n { exclusive: true, prefixes: 0 };
    const INC: C14n = C14n { exclusive: false, prefixes: 0 };

    fn work(xml: &str, passes: &[C14n]) -> u64 {
        estimate(&roxmltree::Document::parse(xml).unwrap(), passes, 1).work
    }

    #[test]
    fn inclusive_cost_grows_with_declarations_times_elements() {
        let decls: String = (0..200).map(|i| format!(r#" xmlns:p{i}="urn:{i}""#)).collect();
        let few = format!("<r{decls}>{}</r>", "<x/>".repeat(10));
        let many = format!("<r{decls}>{}</r>", "<x/>".repeat(1000));
        let (few, many) = (work(&few, &[INC, INC]), work(&many, &[INC, INC]));
        assert!(many > 50 * few, "{few} {many}");
        // Exclusive C14N does not render unused declarations.
        let exclusive = format!("<r{decls}>{}</r>", "<x/>".repeat(1000));
        assert!(work(&exclusive, &[EXC, EXC]) * 50 < many);
    }

    #[test]
    fn shadowed_declarations_count() {
        // One prefix in scope, declared 100 times down a nesting: xmlsec walks them all.
        let open = r#"<n xmlns:p="urn:p">"#.repeat(100);
        let nested = format!("{open}{}{}", "<x/>".repeat(100), "</n>".repeat(100));
        let doc = roxmltree::Document::parse(&nested).unwrap();
        let est = estimate(&doc, &[INC], 1);
        assert_eq!((est.max_declarations, est.max_depth, est.nodes), (100, 101, 200));
    }

    #[test]
    fn attempts_multiply() {
        let doc = roxmltree::Document::parse("<a><b/></a>").unwrap();
        assert_eq!(estimate(&doc, &[EXC], 3).work, 3 * estimate(&doc, &[EXC], 1).work);
    }

    #[test]
    fn uris() {
        assert_eq!(
            C14n::from_uri(Some("http://www.w3.org/2001/10/xml-exc-c14n#WithComments"), 3),
            C14n { exclusive: true, prefixes: 3 }
        );
        assert_eq!(C14n::from_uri(Some("http://www.w3.org/TR/2001/REC-xml-c14n-20010315"), 3), INC);
        assert_eq!(C14n::from_uri(None, 0), INC);
    }
}

//! The parsed document: parsing with messages that say where a truncated document stops,
//! and [`Src`], which names the line of a node in linear time.

use roxmltree::{Document, Node};

use super::MetadataError;
use crate::xml::{self, XmlError};

pub(super) fn parse(xml_text: &str) -> Result<Document<'_>, MetadataError> {
    if xml_text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(MetadataError::Empty);
    }
    xml::parse(xml_text).map_err(|e| match e {
        // roxmltree names no position for these: say where the document stops.
        XmlError::Malformed(detail)
            if detail == "the root node was opened but never closed" || detail == "unexpected end of stream" =>
        {
            let body = xml_text.strip_prefix('\u{feff}').unwrap_or(xml_text);
            let line = body.matches('\n').count() + 1;
            let column = body.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            MetadataError::Malformed {
                detail: format!("{detail} (the document ends at {line}:{column}; is it truncated?)"),
            }
        }
        XmlError::Malformed(detail) if detail == "nodes limit reached" => MetadataError::Malformed {
            detail: "the document has more XML nodes than Handshake parses (2,000,000)".to_owned(),
        },
        other => other.into(),
    })
}

/// The parsed document and a line index built on first use, so that naming the line of
/// many nodes stays linear (roxmltree's `text_pos_at` rescans from the start each time).
pub(super) struct Src<'d, 'input> {
    doc: &'d Document<'input>,
    line_starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'d, 'input> Src<'d, 'input> {
    pub(super) fn new(doc: &'d Document<'input>) -> Self {
        Src { doc, line_starts: std::cell::OnceCell::new() }
    }

    /// 1-based line of the node's start.
    pub(super) fn line(&self, node: Node<'_, '_>) -> u32 {
        let starts = self.line_starts.get_or_init(|| {
            let text = self.doc.input_text();
            text.match_indices('\n').map(|(i, _)| i + 1).collect()
        });
        let line = starts.partition_point(|s| *s <= node.range().start) + 1;
        u32::try_from(line).unwrap_or(u32::MAX)
    }
}

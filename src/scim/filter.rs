//! RFC 7644 §3.4.2.2 filters: `userName eq "bjensen"`, `emails[type eq "work" and value co
//! "@example.com"]`, `meta.lastModified gt "2011-05-13T04:42:34Z"`, `not (title pr)`. Parsed
//! by recursive descent with a length and depth bound and an error position; evaluated over a
//! stored document following the schema's `caseExact` (helper proto owns this file).

use serde_json::Value;

use super::{ResourceKind, ScimError};

/// A parsed filter (the AST is this module's business; consumers parse, then match).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    _private: (),
}

/// Parses a filter; `invalidFilter` (400) with the position on any error.
#[allow(clippy::unimplemented, unused_variables)]
pub fn parse(text: &str) -> Result<Filter, ScimError> {
    unimplemented!("issue #15: helper proto")
}

impl Filter {
    /// Whether `document` (a full stored resource of `kind`, with `id` and `meta`) matches.
    #[allow(clippy::unimplemented, unused_variables)]
    pub fn matches(&self, kind: ResourceKind, document: &Value) -> bool {
        unimplemented!("issue #15: helper proto")
    }
}

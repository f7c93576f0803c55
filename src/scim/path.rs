//! RFC 7644 §3.5.2 PATCH paths: `attrPath` / `valuePath [subAttr]`, with an optional schema
//! URN prefix (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`) (helper
//! proto owns this file).
//!
//! The grammar is the filter's (`filter::Parser::path`), so a value filter inside a path
//! follows the same rules and bounds. A path is then resolved against the published schema:
//! a name the schema does not know is `invalidPath`, never silently stored.

use super::filter::{self, AttrPath, Expr};
use super::schema::{self, Attribute, Schema};
use super::{ResourceKind, ScimError, ScimType};

/// A parsed PATCH path.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub(crate) path: AttrPath,
    text: String,
}

/// Parses a PATCH path; `invalidPath` (400) with the position on any error.
pub fn parse(text: &str) -> Result<PatchPath, ScimError> {
    let path = filter::parse_attr_path(text, ScimType::InvalidPath)?;
    Ok(PatchPath { path, text: text.trim().to_owned() })
}

/// What a path designates in a resource of one kind.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'p> {
    /// `urn:…:enterprise:2.0:User`: the extension's whole object.
    Extension(&'static Schema),
    Attribute {
        /// The extension URN whose object holds the attribute; `None` for the top level.
        extension: Option<&'static str>,
        attribute: &'static Attribute,
        filter: Option<&'p Expr>,
        sub: Option<&'static Attribute>,
    },
}

impl PatchPath {
    /// The path as the client wrote it (for the log).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn resolve(&self, kind: ResourceKind) -> Result<Target<'_>, ScimError> {
        let p = &self.path;
        if p.filter.is_none()
            && p.sub.is_none()
            && let Some(urn) = &p.urn
            && let Some(ext) = schema::extension(kind, &format!("{urn}:{}", p.name))
        {
            return Ok(Target::Extension(ext));
        }
        if let Some(urn) = &p.urn
            && !schema::is_known_urn(kind, urn)
        {
            return Err(self.invalid(&format!("the schema {urn} is not one of {}'s", kind.as_str())));
        }
        let Some(found) = schema::locate(kind, p.urn.as_deref(), &p.name) else {
            return Err(self.invalid(&format!("{} has no attribute \"{}\"", kind.as_str(), p.name)));
        };
        let attribute = found.attribute;
        let sub = match &p.sub {
            None => None,
            Some(name) => match attribute.sub(name) {
                Some(s) => Some(s),
                None => return Err(self.invalid(&format!("\"{}\" has no sub-attribute \"{name}\"", attribute.name))),
            },
        };
        if p.filter.is_some() && !attribute.multi_valued {
            return Err(self.invalid(&format!("\"{}\" is not multi-valued: no value filter applies", attribute.name)));
        }
        Ok(Target::Attribute { extension: found.extension, attribute, filter: p.filter.as_deref(), sub })
    }

    fn invalid(&self, what: &str) -> ScimError {
        ScimError::bad_request(ScimType::InvalidPath, format!("path {:?}: {what}", self.text))
    }
}

//! The entities of a document and the choice among them: the `EntityDescriptor`s of an
//! aggregate (walked iteratively, however deep it nests), which one to import, and how
//! an entity is named.

use roxmltree::{Document, Node};

use super::document::Src;
use super::roles::{first_idp_role, roles_summary, saml2_idp_role};
use super::text::LISTED_IDS;
use super::{AggregateInfo, MetadataError};
use crate::xml::{self, NS_MD};

const NS_MDUI: &str = "urn:oasis:names:tc:SAML:metadata:ui";
const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

pub(super) struct EntitySet<'a, 'input> {
    /// Every EntityDescriptor reachable through EntitiesDescriptors, in document order.
    pub(super) entities: Vec<Node<'a, 'input>>,
    /// Some for an EntitiesDescriptor root: its Name.
    aggregate: Option<Option<String>>,
}

impl<'a, 'input> EntitySet<'a, 'input> {
    pub(super) fn collect(doc: &'a Document<'input>) -> Result<Self, MetadataError> {
        let root = doc.root_element();
        if xml::is(root, NS_MD, "EntityDescriptor") {
            return Ok(EntitySet { entities: vec![root], aggregate: None });
        }
        if !xml::is(root, NS_MD, "EntitiesDescriptor") {
            return Err(MetadataError::NotMetadata {
                local_name: root.tag_name().name().to_owned(),
                namespace: root.tag_name().namespace().map(str::to_owned),
            });
        }
        // Pre-order walk with an explicit stack: document order, linear, no recursion
        // however deeply EntitiesDescriptors nest.
        let mut entities = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            if xml::is(node, NS_MD, "EntityDescriptor") {
                entities.push(node);
                continue;
            }
            let start = stack.len();
            stack.extend(
                node.children()
                    .filter(|c| xml::is(*c, NS_MD, "EntityDescriptor") || xml::is(*c, NS_MD, "EntitiesDescriptor")),
            );
            if let Some(pushed) = stack.get_mut(start..) {
                pushed.reverse();
            }
        }
        Ok(EntitySet { entities, aggregate: Some(root.attribute("Name").map(str::to_owned)) })
    }

    fn aggregate_name(&self) -> Option<String> {
        self.aggregate.clone().flatten()
    }

    pub(super) fn aggregate_info(&self) -> Option<AggregateInfo> {
        let name = self.aggregate.clone()?;
        Some(AggregateInfo {
            name,
            idp_count: self.entities.iter().filter(|e| first_idp_role(**e).is_some()).count(),
            entity_count: self.entities.len(),
        })
    }

    fn saml2_idps(&self) -> impl Iterator<Item = (Node<'a, 'input>, &'a str)> + '_ {
        self.entities
            .iter()
            .filter(|e| saml2_idp_role(**e).is_some())
            .filter_map(|e| entity_id_of(*e).map(|id| (*e, id)))
    }

    pub(super) fn select(&self, src: &Src<'_, '_>, wanted: Option<&str>) -> Result<Node<'a, 'input>, MetadataError> {
        if let Some(wanted) = wanted {
            if let Some(found) = self.entities.iter().find(|e| entity_id_of(**e) == Some(wanted)) {
                return Ok(*found);
            }
            let available: Vec<&str> = self.saml2_idps().map(|(_, id)| id).collect();
            let normalize = |s: &str| s.trim().trim_end_matches('/').to_lowercase();
            let did_you_mean =
                available.iter().find(|id| normalize(id) == normalize(wanted)).map(|id| (*id).to_owned());
            return Err(MetadataError::UnknownEntityId {
                requested: wanted.to_owned(),
                available_count: available.len(),
                available: available.iter().take(LISTED_IDS).map(|s| (*s).to_owned()).collect(),
                did_you_mean,
            });
        }
        if self.aggregate.is_none() {
            // A lone EntityDescriptor: it is the one, and `build` says what is wrong with it.
            return self.entities.first().copied().ok_or(MetadataError::NoIdp {
                aggregate: None,
                entity_count: 0,
                roles: String::new(),
            });
        }
        let saml2: Vec<(Node<'a, 'input>, &str)> = self.saml2_idps().collect();
        match saml2.as_slice() {
            [(only, _)] => return Ok(*only),
            [] => {}
            several => {
                return Err(MetadataError::SeveralIdps {
                    aggregate: self.aggregate_name(),
                    count: several.len(),
                    entity_ids: several.iter().take(LISTED_IDS).map(|(_, id)| (*id).to_owned()).collect(),
                });
            }
        }
        // No SAML 2.0 IdP with an entityID. Explain with what there is.
        let idps: Vec<Node<'a, 'input>> =
            self.entities.iter().copied().filter(|e| first_idp_role(*e).is_some()).collect();
        match idps.as_slice() {
            // One IdP (SAML 1 only, or without entityID): `build` reports precisely.
            [only] => Ok(*only),
            [] => Err(MetadataError::NoIdp {
                aggregate: self.aggregate_name(),
                entity_count: self.entities.len(),
                roles: roles_summary(&self.entities),
            }),
            several => {
                if let Some(unnamed) = several.iter().find(|e| entity_id_of(**e).is_none()) {
                    return Err(missing_entity_id(src, *unnamed));
                }
                Err(MetadataError::NoSaml2Idp {
                    aggregate: self.aggregate_name(),
                    idp_count: several.len(),
                    entity_ids: several
                        .iter()
                        .filter_map(|e| entity_id_of(*e))
                        .take(LISTED_IDS)
                        .map(str::to_owned)
                        .collect(),
                })
            }
        }
    }
}

/// The entityID by the identifier rule (crate::identity): XML whitespace around it is
/// formatting, anything else is part of it (and compared exactly with the Issuer).
pub(super) fn entity_id_of<'a>(entity: Node<'a, '_>) -> Option<&'a str> {
    entity.attribute("entityID").map(crate::identity::xml_trim).filter(|id| !id.is_empty())
}

pub(super) fn missing_entity_id(src: &Src<'_, '_>, entity: Node<'_, '_>) -> MetadataError {
    MetadataError::MissingEntityId { line: src.line(entity) }
}

pub(super) fn display_name(entity: Node<'_, '_>, role: Node<'_, '_>) -> Option<String> {
    let from_mdui = xml::child(role, NS_MD, "Extensions")
        .and_then(|ext| xml::child(ext, NS_MDUI, "UIInfo"))
        .and_then(|ui| pick_lang(xml::children(ui, NS_MDUI, "DisplayName")));
    from_mdui.or_else(|| {
        xml::child(entity, NS_MD, "Organization")
            .and_then(|org| pick_lang(xml::children(org, NS_MD, "OrganizationDisplayName")))
    })
}

/// The English one if there is one, else the first; whitespace collapsed.
fn pick_lang<'a, 'input: 'a>(nodes: impl Iterator<Item = Node<'a, 'input>>) -> Option<String> {
    let mut first = None;
    for node in nodes {
        let text = xml::text(node).split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            continue;
        }
        if node.attribute((NS_XML, "lang")).is_some_and(|l| l.eq_ignore_ascii_case("en")) {
            return Some(text);
        }
        first.get_or_insert(text);
    }
    first
}

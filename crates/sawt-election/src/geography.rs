//! Oman's geography as the manifest carries it: governorates and their wilayats
//! (`protocol-spec/election.md` §3.1).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::manifest::Names;

/// A governorate identifier (a lowercase slug of its English name, e.g. `"muscat"`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, description = "A governorate identifier (a slug)."))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GovernorateId(pub String);

/// A wilayat identifier (a lowercase slug of its English name, e.g. `"as-seeb"`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, description = "A wilayat identifier (a slug, e.g. `as-seeb`)."))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WilayatId(pub String);

/// A governorate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Governorate {
    /// Identifier.
    pub id: GovernorateId,
    /// Name.
    pub name: Names,
}

/// A wilayat (an electoral district).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wilayat {
    /// Identifier.
    pub id: WilayatId,
    /// Its governorate.
    pub governorate: GovernorateId,
    /// Name.
    pub name: Names,
}

/// Governorates and wilayats.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geography {
    /// The governorates.
    pub governorates: Vec<Governorate>,
    /// The wilayats.
    pub wilayats: Vec<Wilayat>,
}

impl Geography {
    /// The wilayat with this identifier.
    pub fn wilayat(&self, id: &WilayatId) -> Option<&Wilayat> {
        self.wilayats.iter().find(|w| &w.id == id)
    }

    /// Every rule broken: repeated identifiers, a wilayat in an unknown governorate, a
    /// missing name.
    pub fn problems(&self) -> Vec<String> {
        let mut e = Vec::new();
        let mut gs = BTreeSet::new();
        for g in &self.governorates {
            if !gs.insert(&g.id) {
                e.push(format!("governorate {} repeated", g.id.0));
            }
            if g.id.0.is_empty() || g.name.ar.is_empty() || g.name.en.is_empty() {
                e.push("every governorate needs an id and both names".into());
            }
        }
        let mut ws = BTreeSet::new();
        for w in &self.wilayats {
            if !ws.insert(&w.id) {
                e.push(format!("wilayat {} repeated", w.id.0));
            }
            if !gs.contains(&w.governorate) {
                e.push(format!(
                    "wilayat {} is in unknown governorate {}",
                    w.id.0, w.governorate.0
                ));
            }
            if w.id.0.is_empty() || w.name.ar.is_empty() || w.name.en.is_empty() {
                e.push("every wilayat needs an id and both names".into());
            }
        }
        e
    }
}

/// A lowercase ASCII slug: letters and digits kept, runs of anything else become `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

//! Who made a decision: every registry decision records its [`Actor`].

use serde::{Deserialize, Serialize};

/// The roles of the registry's users.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A citizen acting for themselves (registration, transfer, objection, application).
    Citizen,
    /// A registry official (voter lists, objections).
    RegistryOfficial,
    /// The candidacy committee (applications).
    CandidacyCommittee,
    /// The Supreme Elections Committee (appeals).
    SupremeCommittee,
    /// The registry's automatic rules (a refusal no person decided).
    Rules,
}

impl Role {
    /// The role's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::RegistryOfficial => "registry-official",
            Role::CandidacyCommittee => "candidacy-committee",
            Role::SupremeCommittee => "supreme-committee",
            Role::Rules => "rules",
        }
    }

    /// The role a stored name names.
    pub fn parse(s: &str) -> Option<Role> {
        [
            Role::Citizen,
            Role::RegistryOfficial,
            Role::CandidacyCommittee,
            Role::SupremeCommittee,
            Role::Rules,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// Who acted: a role and an identifier within it (an official's staff number, a
/// committee member's name; for a citizen, a reference that is not their civil number).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The role.
    pub role: Role,
    /// Who, within the role: 1 to 64 printable characters.
    pub id: String,
}

impl Actor {
    /// An actor, checking the identifier.
    pub fn new(role: Role, id: &str) -> Result<Actor, String> {
        if id.is_empty() || id.chars().count() > 64 || id.chars().any(char::is_control) {
            return Err("an actor's identifier is 1 to 64 printable characters".into());
        }
        Ok(Actor {
            role,
            id: id.to_owned(),
        })
    }

    /// The registry's automatic rules.
    pub fn rules() -> Actor {
        Actor {
            role: Role::Rules,
            id: "sawt-registry".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for r in [
            Role::Citizen,
            Role::RegistryOfficial,
            Role::CandidacyCommittee,
            Role::SupremeCommittee,
            Role::Rules,
        ] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
        assert!(Actor::new(Role::RegistryOfficial, "").is_err());
        assert!(Actor::new(Role::RegistryOfficial, "a\nb").is_err());
    }
}

/// The scopes about the end user that Gatehouse defines (OIDC Core §5.4 and §11): what
/// discovery advertises, what a new service may have by default, and what a machine client
/// (`client_credentials`) can never be granted.
pub const USER_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// A set of scopes: space-delimited on the wire (RFC 6749 §3.3), sorted and unique here.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ScopeSet(Vec<String>);

impl ScopeSet {
    /// `None` when a scope token has characters RFC 6749 §3.3 forbids.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut scopes = Vec::new();
        for token in raw.split(' ').filter(|t| !t.is_empty()) {
            let valid = token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !valid {
                return None;
            }
            scopes.push(token.to_owned());
        }
        scopes.sort();
        scopes.dedup();
        Some(Self(scopes))
    }

    /// A scope column we wrote ourselves (`to_string` of a parsed set); a value that no longer
    /// parses grants nothing.
    pub fn from_stored(stored: &str) -> Self {
        Self::parse(stored).unwrap_or_default()
    }

    /// The user scopes (`USER_SCOPES`) among `allowed`.
    pub fn user_scopes_in(allowed: &ScopeSet) -> Self {
        let scopes: Vec<String> = USER_SCOPES
            .iter()
            .filter(|s| allowed.contains(s))
            .map(|s| (*s).to_owned())
            .collect();
        Self::from_list(&scopes)
    }

    pub fn from_list(list: &[String]) -> Self {
        let mut scopes = list.to_vec();
        scopes.sort();
        scopes.dedup();
        Self(scopes)
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|s| other.contains(s))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn as_list(&self) -> &[String] {
        &self.0
    }
}

impl std::fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::ScopeSet;

    #[test]
    fn scopes_parse_sorted_and_unique() {
        let set = ScopeSet::parse("openid  email openid profile").unwrap();
        assert_eq!(set.to_string(), "email openid profile");
        assert!(ScopeSet::parse("openid email").unwrap().is_subset_of(&set));
        assert!(ScopeSet::parse("bad\"scope").is_none());
    }
}

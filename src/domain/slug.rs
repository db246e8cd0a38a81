/// Lower-case letters, digits and single dashes, 2 to 63 characters (org and service slugs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (2..=63).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "{raw:?} is not a valid slug: use 2-63 lower-case letters, digits and dashes"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Slug;

    #[test]
    fn slugs_are_validated() {
        assert!(Slug::parse("acme-corp").is_ok());
        for bad in ["A", "a", "-a", "a-", "a--b", "a_b", "Acme"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}

//! RFC 8628 §6.1 user codes: 8 letters from an alphabet without vowels (no words) and without
//! look-alikes, shown as `XXXX-XXXX`, typed in any case with or without the dash.
use std::fmt;

/// 20 consonants: no vowels, no Y; 20^8 ≈ 2^34.6 codes, guessed only at the code-entry rate limit.
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
const LEN: usize = 8;

/// A user code, normalized (upper case, no separator).
#[derive(Clone, PartialEq, Eq)]
pub struct UserCode(String);

impl UserCode {
    /// A uniformly random code (rejection sampling keeps every letter equally likely).
    pub fn generate() -> Self {
        let mut code = String::with_capacity(LEN);
        while code.len() < LEN {
            let mut bytes = [0u8; 16];
            rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
            for byte in bytes {
                // 240 = 12 × 20: bytes above it would favour the first letters.
                if byte < 240 && code.len() < LEN {
                    code.push(char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]));
                }
            }
        }
        Self(code)
    }

    /// Accepts what a person types: any case, dashes and spaces anywhere.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.len() > 32 {
            return None;
        }
        let code: String = raw
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b));
        valid.then_some(Self(code))
    }

    /// The stored form: `BCDFGHJK`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown to people: `BCDF-GHJK`.
    pub fn display(&self) -> String {
        let (head, tail) = self.0.split_at(LEN / 2);
        format!("{head}-{tail}")
    }
}

/// A user code is a short-lived credential: kept out of logs.
impl fmt::Debug for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserCode(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::UserCode;

    #[test]
    fn generated_codes_use_the_alphabet_and_show_with_a_dash() {
        for _ in 0..200 {
            let code = UserCode::generate();
            assert_eq!(code.as_str().len(), 8);
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(&b))
            );
            let shown = code.display();
            assert_eq!(shown.len(), 9);
            assert_eq!(&shown[4..5], "-");
            assert_eq!(UserCode::parse(&shown), Some(code));
        }
    }

    #[test]
    fn typed_codes_are_case_insensitive_and_the_dash_is_optional() {
        let expected = UserCode::parse("BCDF-GHJK").unwrap();
        for typed in ["bcdf-ghjk", "BCDFGHJK", " bcdf ghjk ", "Bc-Df-Gh-Jk"] {
            assert_eq!(UserCode::parse(typed).as_ref(), Some(&expected), "{typed}");
        }
        assert_eq!(expected.as_str(), "BCDFGHJK");
        assert_eq!(expected.display(), "BCDF-GHJK");
    }

    #[test]
    fn codes_outside_the_alphabet_or_of_the_wrong_length_are_refused() {
        for bad in [
            "",
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "ABCD-EFGH",
            "BCDF-GHJ1",
            "BCDF_GHJK",
            "ВCDF-GHJK",
        ] {
            assert!(UserCode::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(format!("{:?}", UserCode::generate()), "UserCode(…)");
    }
}

//! Password policy after NIST SP 800-63B-4 (API.md §7): a length range, a blocklist of common
//! passwords, no reuse of the email or name, and a strength estimate: zxcvbn (dictionaries,
//! repeats, sequences, keyboard walks, l33t, dates, and the user's own email and name as words)
//! must put the password at [`MIN_GUESSES`] guesses or more. Length alone does not make
//! `passwordpassword`, `123456789012345` or `qwertyuiopasdfgh` strong. No composition rules:
//! they make passwords harder to remember without making them harder to guess.
//!
//! Everything is compared after Unicode NFKC, so look-alike spellings (full-width digits,
//! ligatures) count as what they look like, and length is counted in Unicode scalar values of the
//! normalised text, not bytes.
//!
//! The blocklist `password/common_passwords.txt` is Django 5.2.19's
//! `django/contrib/auth/common-passwords.txt.gz` (PyPI package `django`), decompressed and
//! otherwise unchanged: 19 640 passwords "created by Royce Williams"
//! (https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce), "unhexed,
//! lowercased and deduplicated" by Django. Licence: BSD-3-Clause, Copyright (c) Django Software
//! Foundation and individual contributors; the full notice is in
//! `password/common_passwords.LICENSE` and must travel with the list. All entries are already
//! lowercase and NFKC (a test checks), so a lookup of the folded password is exact.

use std::collections::HashSet;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

/// The lowest minimum length NIST SP 800-63B-4 allows for a password used alone.
pub const MIN_LENGTH_FLOOR: usize = 8;
/// Longest password accepted, in Unicode scalar values after NFKC.
pub const MAX_LENGTH: usize = 128;
/// Minimum length when `ROSTER_PASSWORD_MIN_LENGTH` is not set (API.md §7).
pub const DEFAULT_MIN_LENGTH: usize = 15;
/// Shorter email local parts and names are too likely to occur by chance to forbid them.
const MIN_CONTEXT_LEN: usize = 4;
/// The fewest guesses zxcvbn may estimate for an acceptable password: 10^10, its "safely
/// unguessable" tier (offline attack on a slow hash, online attack of any length).
pub const MIN_GUESSES: u64 = 10_000_000_000;

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("password/common_passwords.txt").lines().filter(|line| !line.is_empty()).collect());

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Kept within [`MIN_LENGTH_FLOOR`]..=[`MAX_LENGTH`] by [`PasswordPolicy::new`]; a value
    /// built by hand outside that range is clamped when checking.
    pub min_length: usize,
}

/// A configured minimum length outside what the policy allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyConfigError {
    #[error("password minimum length {0} is below {MIN_LENGTH_FLOOR}, the NIST SP 800-63B-4 floor")]
    BelowFloor(usize),
    #[error("password minimum length {0} is above the maximum password length {MAX_LENGTH}")]
    AboveMaximum(usize),
}

/// One reason a password is refused; `code()` is the field error code of API.md §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    TooCommon,
    TooSimilar,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_length: DEFAULT_MIN_LENGTH }
    }
}

impl PasswordPolicy {
    pub fn new(min_length: usize) -> Result<Self, PolicyConfigError> {
        if min_length < MIN_LENGTH_FLOOR {
            Err(PolicyConfigError::BelowFloor(min_length))
        } else if min_length > MAX_LENGTH {
            Err(PolicyConfigError::AboveMaximum(min_length))
        } else {
            Ok(PasswordPolicy { min_length })
        }
    }

    /// Returns every problem (codes) at once; empty vec = acceptable.
    pub fn check(&self, password: &str, email: Option<&str>, name: Option<&str>) -> Vec<PasswordProblem> {
        let normalized = normalize_password(password);
        let mut problems = Vec::new();

        let length = normalized.chars().count();
        if length < self.effective_min_length() {
            problems.push(PasswordProblem::TooShort);
        } else if length > MAX_LENGTH {
            problems.push(PasswordProblem::TooLong);
        }

        let folded = normalized.to_lowercase();
        let mut common = COMMON_PASSWORDS.contains(folded.as_str());
        let mut similar = is_similar(&folded, email, name);
        // The estimate only for a password of an acceptable length (its cost grows with it).
        if problems.is_empty() && !common && !similar {
            match guessable(&normalized, email, name) {
                Some(Weakness::Common) => common = true,
                Some(Weakness::UserInputs) => similar = true,
                None => {}
            }
        }
        if common {
            problems.push(PasswordProblem::TooCommon);
        }
        if similar {
            problems.push(PasswordProblem::TooSimilar);
        }
        problems
    }

    /// The minimum actually enforced: a hand-built policy cannot go below the floor.
    fn effective_min_length(&self) -> usize {
        self.min_length.clamp(MIN_LENGTH_FLOOR, MAX_LENGTH)
    }
}

impl PasswordProblem {
    pub fn code(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "too_short",
            PasswordProblem::TooLong => "too_long",
            PasswordProblem::TooCommon => "too_common",
            PasswordProblem::TooSimilar => "too_similar",
        }
    }

    /// A sentence about the password field, e.g. "must be at least 15 characters".
    pub fn message(self, policy: &PasswordPolicy) -> String {
        match self {
            PasswordProblem::TooShort => {
                format!("must be at least {} characters", policy.effective_min_length())
            }
            PasswordProblem::TooLong => format!("must be at most {MAX_LENGTH} characters"),
            PasswordProblem::TooCommon => {
                "is too easy to guess: a common password, word, pattern or sequence".to_owned()
            }
            PasswordProblem::TooSimilar => "is too easy to guess from your email address or name".to_owned(),
        }
    }
}

/// Unicode NFKC, the form in which passwords are measured, compared and hashed.
pub fn normalize_password(p: &str) -> String {
    p.nfkc().collect()
}

fn fold(s: &str) -> String {
    normalize_password(s.trim()).to_lowercase()
}

/// Why zxcvbn finds a password guessable.
enum Weakness {
    /// Dictionaries, repeats, sequences, keyboard walks, dates: guessable by anyone.
    Common,
    /// Guessable only knowing the user: its email, local part or name.
    UserInputs,
}

/// Whether zxcvbn estimates fewer than [`MIN_GUESSES`] for `password`, and why: estimated with
/// the user's words and, when that is too few, again without them — if the password is strong
/// without them, its weakness is the user's own words.
fn guessable(password: &str, email: Option<&str>, name: Option<&str>) -> Option<Weakness> {
    let mut words: Vec<String> = Vec::new();
    if let Some(email) = email.map(fold).filter(|e| !e.is_empty()) {
        if let Some((local, _)) = email.rsplit_once('@') {
            words.push(local.to_owned());
        }
        words.push(email);
    }
    if let Some(name) = name.map(fold).filter(|n| !n.is_empty()) {
        words.extend(name.split_whitespace().map(str::to_owned));
        words.push(name);
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if zxcvbn::zxcvbn(password, &words).guesses() >= MIN_GUESSES {
        return None;
    }
    if !words.is_empty() && zxcvbn::zxcvbn(password, &[]).guesses() >= MIN_GUESSES {
        return Some(Weakness::UserInputs);
    }
    Some(Weakness::Common)
}

/// `folded` equals, contains or is contained in the email, its local part or the name.
fn is_similar(folded: &str, email: Option<&str>, name: Option<&str>) -> bool {
    if folded.is_empty() {
        // "" is contained in everything; an empty password is already too short.
        return false;
    }
    let mut context: Vec<String> = Vec::new();
    if let Some(email) = email.map(fold).filter(|e| !e.is_empty()) {
        if let Some((local, _domain)) = email.rsplit_once('@')
            && local.chars().count() >= MIN_CONTEXT_LEN
        {
            context.push(local.to_owned());
        }
        context.push(email);
    }
    if let Some(name) = name.map(fold) {
        // "Grace Hopper" should also catch "gracehopper".
        let compact: String = name.chars().filter(|c| !c.is_whitespace()).collect();
        for candidate in [name, compact] {
            if candidate.chars().count() >= MIN_CONTEXT_LEN && !context.contains(&candidate) {
                context.push(candidate);
            }
        }
    }
    context.iter().any(|word| folded.contains(word.as_str()) || word.contains(folded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use PasswordProblem::*;

    fn policy(min: usize) -> PasswordPolicy {
        PasswordPolicy::new(min).expect("valid minimum")
    }

    #[test]
    fn minimum_length_must_stay_between_8_and_128() {
        assert_eq!(PasswordPolicy::new(7), Err(PolicyConfigError::BelowFloor(7)));
        assert_eq!(PasswordPolicy::new(0), Err(PolicyConfigError::BelowFloor(0)));
        assert_eq!(PasswordPolicy::new(129), Err(PolicyConfigError::AboveMaximum(129)));
        assert_eq!(PasswordPolicy::new(8), Ok(PasswordPolicy { min_length: 8 }));
        assert_eq!(PasswordPolicy::new(128), Ok(PasswordPolicy { min_length: 128 }));
        assert_eq!(PasswordPolicy::default().min_length, 15);
    }

    #[test]
    fn a_long_uncommon_unrelated_password_is_accepted() {
        let problems = PasswordPolicy::default().check(
            "violet tugboat under 9 moons",
            Some("ada@example.com"),
            Some("Ada Lovelace"),
        );
        assert_eq!(problems, []);
    }

    #[test]
    fn long_but_guessable_passwords_are_too_common() {
        for weak in ["passwordpassword", "123456789012345", "qwertyuiopasdfgh", "iloveyouiloveyou", "aaaaaaaaaaaaaaaa"]
        {
            assert_eq!(PasswordPolicy::default().check(weak, None, None), [TooCommon], "{weak}");
        }
    }

    #[test]
    fn the_users_own_words_with_a_little_more_are_too_similar() {
        let problems =
            PasswordPolicy::default().check("ada-7f3@example.com1", Some("ada-7f3@example.com"), Some("Ada Lovelace"));
        assert_eq!(problems, [TooSimilar]);
        let problems =
            PasswordPolicy::default().check("lovelace.ada.2024", Some("x@example.com"), Some("Ada Lovelace"));
        assert_eq!(problems, [TooSimilar]);
    }

    #[test]
    fn no_composition_rules_apply() {
        // All lowercase letters, no digit, no symbol: fine when long and uncommon.
        assert_eq!(PasswordPolicy::default().check("quietlyorbitingteapots", None, None), []);
    }

    #[test]
    fn shorter_than_the_minimum_is_too_short() {
        assert_eq!(PasswordPolicy::default().check("violet tugboat", None, None), [TooShort]);
        assert_eq!(PasswordPolicy::default().check("violet tugboat!", None, None), []);
        assert_eq!(policy(8).check("zq7#kfp", None, None), [TooShort]);
        // Long enough, but 8 characters are too few for the strength estimate (10^10 guesses).
        assert_eq!(policy(8).check("zq7#kfpw", None, None), [TooCommon]);
        assert_eq!(policy(8).check("zq7#kfpw-L2x", None, None), []);
    }

    #[test]
    fn a_hand_built_policy_below_the_floor_still_enforces_8() {
        let lax = PasswordPolicy { min_length: 3 };
        assert_eq!(lax.check("zq7#kfp", None, None), [TooShort]);
        assert_eq!(TooShort.message(&lax), "must be at least 8 characters");
    }

    #[test]
    fn the_empty_password_is_only_too_short() {
        assert_eq!(PasswordPolicy::default().check("", Some("ada@example.com"), Some("Ada Lovelace")), [TooShort]);
    }

    #[test]
    fn up_to_128_characters_are_accepted_and_129_are_too_long() {
        let base = "violet tugboat under 9 moons ";
        let exactly_128: String = base.chars().cycle().take(128).collect();
        let exactly_129: String = base.chars().cycle().take(129).collect();
        assert_eq!(PasswordPolicy::default().check(&exactly_128, None, None), []);
        assert_eq!(PasswordPolicy::default().check(&exactly_129, None, None), [TooLong]);
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 128 different two-byte characters (Cyrillic, shuffled so they form no sequence):
        // 256 bytes but 128 characters.
        let cyrillic: String = (0..128u32).filter_map(|i| char::from_u32(0x400 + (i * 37) % 128)).collect();
        assert_eq!(cyrillic.len(), 256);
        assert_eq!(PasswordPolicy::default().check(&cyrillic, None, None), []);
        let short: String = cyrillic.chars().take(14).collect();
        assert_eq!(PasswordPolicy::default().check(&short, None, None), [TooShort]);
    }

    #[test]
    fn length_is_measured_after_nfkc() {
        // Ligatures are one character each that NFKC expands ("ﬃ" → "ffi"): 13 characters as
        // typed, 19 once normalised.
        let typed = "ﬃzq ﬂx ﬁvy ﬄw";
        assert_eq!(typed.chars().count(), 13);
        assert_eq!(PasswordPolicy::default().check(typed, None, None), []);
        assert_eq!(normalize_password("ﬃ"), "ffi");
    }

    #[test]
    fn a_common_password_is_too_common_whatever_its_case() {
        assert_eq!(policy(8).check("password1", None, None), [TooCommon]);
        assert_eq!(policy(8).check("PassWord1", None, None), [TooCommon]);
        assert_eq!(policy(8).check("QWERTYUIOP", None, None), [TooCommon]);
    }

    #[test]
    fn full_width_digits_are_normalised_before_the_list_lookup() {
        assert_eq!(normalize_password("１２３４５６７８９"), "123456789");
        assert_eq!(policy(8).check("１２３４５６７８９", None, None), [TooCommon]);
    }

    #[test]
    fn several_problems_are_reported_at_once() {
        assert_eq!(PasswordPolicy::default().check("123456", None, None), [TooShort, TooCommon]);
        assert_eq!(
            PasswordPolicy::default().check("iloveyou", Some("iloveyou@example.com"), None),
            [TooShort, TooCommon, TooSimilar]
        );
        let long_and_named: String = format!("{}{}", "Ada Lovelace ".repeat(10), "!");
        assert_eq!(long_and_named.chars().count(), 131);
        assert_eq!(PasswordPolicy::default().check(&long_and_named, None, Some("Ada Lovelace")), [TooLong, TooSimilar]);
    }

    #[test]
    fn the_email_itself_is_too_similar() {
        let email = Some("grace.hopper@navy.example");
        assert_eq!(PasswordPolicy::default().check("Grace.Hopper@Navy.example", email, None), [TooSimilar]);
    }

    #[test]
    fn containing_the_email_local_part_is_too_similar() {
        let email = Some("grace.hopper@navy.example");
        assert_eq!(PasswordPolicy::default().check("my grace.hopper secret", email, None), [TooSimilar]);
        assert_eq!(PasswordPolicy::default().check("MY GRACE.HOPPER SECRET", email, None), [TooSimilar]);
    }

    #[test]
    fn a_password_contained_in_the_email_is_too_similar() {
        let email = Some("grace.brewster.murray.hopper@navy.example");
        assert_eq!(PasswordPolicy::default().check("brewster.murray", email, None), [TooSimilar]);
    }

    #[test]
    fn a_local_part_shorter_than_4_characters_is_ignored() {
        assert_eq!(PasswordPolicy::default().check("gh is for gravity and hope", Some("gh@navy.example"), None), []);
    }

    #[test]
    fn containing_the_name_is_too_similar() {
        let name = Some("Grace Hopper");
        assert_eq!(PasswordPolicy::default().check("i am grace hopper!", None, name), [TooSimilar]);
        assert_eq!(PasswordPolicy::default().check("GraceHopper-1906-1992", None, name), [TooSimilar]);
    }

    #[test]
    fn a_password_contained_in_the_name_is_too_similar() {
        let name = Some("Maximilian Alexander von Habsburg");
        assert_eq!(PasswordPolicy::default().check("Alexander von Habsburg", None, name), [TooSimilar]);
    }

    #[test]
    fn the_name_is_compared_after_nfkc() {
        // Full-width letters in the stored name still match the ASCII password.
        assert_eq!(
            PasswordPolicy::default().check("hello it is hopper here", None, Some("Ｈｏｐｐｅｒ")),
            [TooSimilar]
        );
    }

    #[test]
    fn a_name_shorter_than_4_characters_is_ignored() {
        assert_eq!(PasswordPolicy::default().check("ada sails the seven seas", None, Some("Ada")), []);
    }

    #[test]
    fn codes_are_the_api_field_codes() {
        assert_eq!(TooShort.code(), "too_short");
        assert_eq!(TooLong.code(), "too_long");
        assert_eq!(TooCommon.code(), "too_common");
        assert_eq!(TooSimilar.code(), "too_similar");
    }

    #[test]
    fn messages_name_the_limits() {
        assert_eq!(TooShort.message(&PasswordPolicy::default()), "must be at least 15 characters");
        assert_eq!(TooShort.message(&policy(10)), "must be at least 10 characters");
        assert_eq!(TooLong.message(&policy(10)), "must be at most 128 characters");
        assert_eq!(
            TooCommon.message(&policy(10)),
            "is too easy to guess: a common password, word, pattern or sequence"
        );
        assert_eq!(TooSimilar.message(&policy(10)), "is too easy to guess from your email address or name");
    }

    #[test]
    fn the_shipped_list_is_large_lowercase_and_nfkc() {
        assert_eq!(COMMON_PASSWORDS.len(), 19_640);
        for entry in COMMON_PASSWORDS.iter() {
            assert!(!entry.is_empty());
            assert_eq!(normalize_password(entry).to_lowercase(), *entry, "{entry:?} would never match");
        }
    }
}

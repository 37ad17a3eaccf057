//! Time zone and locale validation against real databases, so a profile never stores a zone
//! the scheduler cannot load or a "language" nobody speaks.
//!
//! Time zones come from jiff's bundled IANA tz database (feature `tzdb-bundle-always`): the
//! answer is the same on every host, whatever its /usr/share/zoneinfo holds.
//!
//! Locales are parsed by `icu_locale_core` (Unicode's ICU4X), which checks BCP 47
//! well-formedness and normalises case. Whether the language subtag exists is checked against
//! `locale/language_subtags.txt`: the `language` subtags of the IANA Language Subtag Registry
//! (File-Date 2025-08-25; these are the ISO 639-1/-2/-3/-5 codes BCP 47 admits), taken from the
//! npm package `language-subtag-registry` 0.4.2 (CC0-1.0) without the special codes (mis, mul,
//! und, zxx) and the private-use range (qaa..qtz). Deprecated subtags are listed with their
//! Preferred-Value ("iw he") so they are canonicalised as RFC 5646 §4.5 asks; deprecated
//! subtags without one are left out, so they are refused.

use std::collections::HashMap;
use std::sync::LazyLock;

use icu_locale_core::Locale;
use icu_locale_core::subtags::Language;

/// Generous for any real tag (RFC 5646 §4.4.1 sizes buffers for 35 characters plus extensions),
/// and keeps a stored value bounded.
const MAX_LOCALE_LEN: usize = 128;

/// Language subtag -> the subtag to write instead (itself unless deprecated).
static LANGUAGES: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    include_str!("locale/language_subtags.txt")
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.split_once(' ').unwrap_or((line, line)))
        .collect()
});

/// IANA time zone name, checked against the bundled tz database (jiff). Returns the canonical
/// spelling or None. "UTC" valid; "Europe/Paris" valid; "Mars/Base" invalid; "" invalid.
pub fn parse_timezone(s: &str) -> Option<String> {
    // jiff looks names up ignoring ASCII case and reports the database's own spelling.
    // `iana_name` is None for `Etc/Unknown`, which jiff accepts but is not a real zone.
    let zone = jiff::tz::db().get(s).ok()?;
    zone.iana_name().map(str::to_owned)
}

/// BCP 47 language tag, well-formed AND its language subtag is a real ISO 639 language; returns
/// the canonical form (e.g. "en-us" -> "en-US", "EN" -> "en") or None.
pub fn parse_locale(s: &str) -> Option<String> {
    if s.len() > MAX_LOCALE_LEN {
        return None;
    }
    // Rejects "en_US" (ICU4X 2 dropped the legacy `_` separator) and anything ill-formed.
    let mut locale = Locale::try_from_str(s).ok()?;
    // A tag that starts with a script ("Latn-US") parses with language `und`, which the list
    // leaves out, so it is refused here too.
    let preferred = LANGUAGES.get(locale.id.language.as_str())?;
    if *preferred != locale.id.language.as_str() {
        locale.id.language = Language::try_from_str(preferred).ok()?;
    }
    Some(locale.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_time_zones_are_accepted_in_their_canonical_spelling() {
        assert_eq!(parse_timezone("UTC").as_deref(), Some("UTC"));
        assert_eq!(parse_timezone("utc").as_deref(), Some("UTC"));
        assert_eq!(parse_timezone("Europe/Paris").as_deref(), Some("Europe/Paris"));
        assert_eq!(parse_timezone("europe/paris").as_deref(), Some("Europe/Paris"));
        assert_eq!(parse_timezone("America/Argentina/Buenos_Aires").as_deref(), Some("America/Argentina/Buenos_Aires"));
        assert_eq!(parse_timezone("Asia/Kolkata").as_deref(), Some("Asia/Kolkata"));
    }

    #[test]
    fn unknown_time_zones_are_rejected() {
        for name in [
            "",
            "Mars/Base",
            "Europe",
            "Europe/Pariss",
            " Europe/Paris",
            "Etc/Unknown",
            "+02:00",
            "CEST",
            "../etc/passwd",
        ] {
            assert_eq!(parse_timezone(name), None, "{name:?}");
        }
    }

    #[test]
    fn well_formed_tags_of_real_languages_are_accepted_in_canonical_case() {
        for (input, canonical) in [
            ("en", "en"),
            ("EN", "en"),
            ("en-us", "en-US"),
            ("en-US", "en-US"),
            ("pt-BR", "pt-BR"),
            ("zh-Hant-TW", "zh-Hant-TW"),
            ("ZH-HANT-tw", "zh-Hant-TW"),
            ("sr-Latn", "sr-Latn"),
            ("fr-CA", "fr-CA"),
            ("es-419", "es-419"),
            ("yue", "yue"),
            ("tok", "tok"),
            ("de-DE-u-co-phonebk", "de-DE-u-co-phonebk"),
        ] {
            assert_eq!(parse_locale(input).as_deref(), Some(canonical), "{input:?}");
        }
    }

    #[test]
    fn deprecated_language_subtags_are_replaced_by_their_preferred_value() {
        assert_eq!(parse_locale("iw-IL").as_deref(), Some("he-IL"));
        assert_eq!(parse_locale("in").as_deref(), Some("id"));
    }

    #[test]
    fn tags_without_a_real_language_or_ill_formed_are_rejected() {
        for input in [
            "", "xx-YY", "xx", "english", "und", "und-US", "qaa", "zxx", "mul", "Latn-US", "en_US", "en-", "-en",
            "en--US", "en US", " en", "e", "en-US-x", "eng",
        ] {
            assert_eq!(parse_locale(input), None, "{input:?}");
        }
    }

    #[test]
    fn absurdly_long_tags_are_rejected() {
        let long = format!("en{}", "-abcdefgh".repeat(20));
        assert_eq!(parse_locale(&long), None);
    }

    #[test]
    fn the_embedded_registry_maps_every_deprecated_subtag_to_a_listed_one() {
        assert!(LANGUAGES.len() > 8_000, "{}", LANGUAGES.len());
        for (code, preferred) in LANGUAGES.iter() {
            assert_eq!(LANGUAGES.get(preferred), Some(preferred), "{code} -> {preferred}");
            assert!(Language::try_from_str(code).is_ok(), "{code}");
        }
    }
}

//! Phone numbers: parsed and checked against libphonenumber's metadata (the `phonenumber`
//! crate), kept and shown in E.164. A number written without its country code is read in the
//! default region (`ROSTER_DEFAULT_PHONE_REGION`), or refused when there is none.

use std::str::FromStr;

use phonenumber::Mode;
use phonenumber::country::Id;

use crate::named::named_enum;

named_enum! {
    /// What a phone number is for, as its owner labels it.
    pub enum PhoneLabel {
        Mobile = "mobile",
        Work = "work",
        Home = "home",
        Other = "other",
    }
}

/// An ISO 3166 alpha-2 region libphonenumber knows (`US`, `GB`, `DE`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(Id);

/// The region is not an ISO 3166 alpha-2 code libphonenumber has metadata for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a region with phone-number metadata (ISO 3166 alpha-2, such as US or GB)")]
pub struct UnknownRegion;

impl Region {
    pub fn parse(code: &str) -> Result<Self, UnknownRegion> {
        let code = code.trim();
        if code.len() != 2 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(UnknownRegion);
        }
        Id::from_str(&code.to_ascii_uppercase()).map(Region).map_err(|_| UnknownRegion)
    }
}

/// Why a number was refused; each is a field code of the `number` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneProblem {
    /// Without a country code and without a default region to read it in.
    #[error("needs its country code (such as +1 or +44): no default region is set")]
    NoCountryCode,
    /// Not a number at all, or not one that can exist in its country.
    #[error("must be a valid phone number (E.164, such as +14155550142)")]
    Invalid,
}

impl PhoneProblem {
    pub fn code(self) -> &'static str {
        match self {
            PhoneProblem::NoCountryCode => "missing_country_code",
            PhoneProblem::Invalid => "invalid_phone",
        }
    }
}

/// Longest input looked at: E.164 has at most 15 digits; room for spaces and punctuation.
const MAX_INPUT: usize = 40;

/// A valid phone number in E.164 form (`+14155550142`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Parse `input` as people write numbers (`+1 (415) 555-0142`, `415.555.0142`, `0044 20 …`):
    /// digits with spaces, dots, dashes and brackets, and a leading `+`. Letters, extensions and
    /// `tel:` URIs are refused before the parser sees them.
    pub fn parse(input: &str, default: Option<Region>) -> Result<Self, PhoneProblem> {
        let input = input.trim();
        let plus = input.starts_with('+');
        let body = if plus { &input[1..] } else { input };
        if input.len() > MAX_INPUT
            || !body.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')'))
            || !body.chars().any(|c| c.is_ascii_digit())
        {
            return Err(PhoneProblem::Invalid);
        }
        let region = match (plus || body.starts_with("00"), default) {
            (true, _) => None,
            (false, Some(Region(id))) => Some(id),
            (false, None) => return Err(PhoneProblem::NoCountryCode),
        };
        // `00` is the international prefix of most regions; the parser reads it in a region only.
        let parsed = if !plus && region.is_none() {
            phonenumber::parse(None, format!("+{}", &body[2..]))
        } else {
            phonenumber::parse(region, input)
        };
        let number = parsed.map_err(|_| PhoneProblem::Invalid)?;
        if !number.is_valid() {
            return Err(PhoneProblem::Invalid);
        }
        Ok(Phone(number.format().mode(Mode::E164).to_string()))
    }

    /// `+` and up to 15 digits.
    pub fn e164(&self) -> &str {
        &self.0
    }

    /// The digits of the E.164 form, without `+` (what a search for a number matches).
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Region {
        Region::parse("us").unwrap()
    }

    #[test]
    fn numbers_are_read_as_people_write_them_and_kept_in_e164() {
        for input in ["+14155550142", "+1 (415) 555-0142", " +1.415.555.0142 ", "001 415 555 0142"] {
            assert_eq!(Phone::parse(input, None).unwrap().e164(), "+14155550142", "{input}");
        }
        assert_eq!(Phone::parse("(415) 555-0142", Some(us())).unwrap().e164(), "+14155550142");
        assert_eq!(Phone::parse("020 7946 0958", Some(Region::parse("GB").unwrap())).unwrap().e164(), "+442079460958");
        assert_eq!(Phone::parse("+442079460958", Some(us())).unwrap().digits(), "442079460958");
    }

    #[test]
    fn a_number_without_its_country_code_needs_a_default_region() {
        assert_eq!(Phone::parse("415 555 0142", None), Err(PhoneProblem::NoCountryCode));
        assert_eq!(Phone::parse("415 555 0142", Some(us())).unwrap().e164(), "+14155550142");
    }

    #[test]
    fn what_is_not_a_possible_number_is_refused_without_panicking() {
        for input in [
            "",
            "+",
            "++14155550142",
            "+1",
            "+999 123",
            "+1 555 0142",
            "call me",
            "tel:+1-415-555-0142",
            "+1 415 555 0142 ext. 7",
            "+14155550142\u{0}",
            "1234567890123456789012345678901234567890123",
            "+00000000000",
            "((((((()))))))",
            "+1 ٤١٥ ٥٥٥ ٠١٤٢",
        ] {
            assert_eq!(Phone::parse(input, Some(us())), Err(PhoneProblem::Invalid), "{input:?}");
        }
    }

    #[test]
    fn regions_are_iso_codes_with_metadata() {
        assert!(Region::parse("GB").is_ok() && Region::parse("de").is_ok());
        for bad in ["", "U", "USA", "ZZ", "1A", "x-"] {
            assert_eq!(Region::parse(bad), Err(UnknownRegion), "{bad}");
        }
    }
}

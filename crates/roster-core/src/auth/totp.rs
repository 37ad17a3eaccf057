//! RFC 6238 codes (SHA-1, 6 digits, 30 s, ±1 step of skew) with totp-rs, the QR code of the
//! `otpauth://` URI as inline SVG, and recovery codes. Pure: the services keep the seed sealed
//! and make sure each step is accepted once.

use qrcode::QrCode;
use qrcode::render::svg;
use rand::RngExt;
use totp_rs::{Algorithm, Builder, Totp};

use crate::error::{CoreError, CoreResult};

/// 160 bits, as RFC 4226 recommends.
const SEED_LEN: usize = 20;
pub const STEP_SECONDS: i64 = 30;
/// How many recovery codes a user holds.
pub const RECOVERY_CODES: usize = 10;
/// Recovery codes use an alphabet without look-alikes (no 0/o, 1/l/i): 10 characters of 31 are
/// about 50 random bits, shown as `xxxxx-xxxxx`.
const CODE_ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";

pub fn new_seed() -> Vec<u8> {
    crate::secrets::random_bytes(SEED_LEN)
}

fn totp(seed: &[u8], issuer: &str, account: &str) -> CoreResult<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS as u64)
        .with_secret(seed.to_vec())
        .with_issuer(Some(issuer.replace(':', " ")))
        .with_account_name(account.replace(':', " "))
        .build()
        .map_err(|e| CoreError::Internal(format!("TOTP: {e}")))
}

/// What an authenticator app needs: the base32 secret, the `otpauth://` URI and its QR code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

pub fn enrolment(seed: &[u8], issuer: &str, account: &str) -> CoreResult<Enrolment> {
    let totp = totp(seed, issuer, account)?;
    let otpauth_uri = totp.to_url().map_err(|e| CoreError::Internal(format!("otpauth URI: {e}")))?;
    let qr = QrCode::new(otpauth_uri.as_bytes()).map_err(|e| CoreError::Internal(format!("QR code: {e}")))?;
    let qr_svg = qr
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Ok(Enrolment { secret: totp.secret().to_base32(), otpauth_uri, qr_svg })
}

/// The time step a 6-digit `code` is right for at `unix` seconds (±1 step), compared in constant
/// time by totp-rs.
pub fn check(seed: &[u8], code: &str, unix: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(seed, "Roster", "").ok()?;
    totp.check(code, u64::try_from(unix).ok()?).and_then(|step| i64::try_from(step).ok())
}

/// Whether `code` looks like a TOTP code (6 digits) rather than a recovery code.
pub fn is_totp_code(code: &str) -> bool {
    let code = code.trim();
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// Ten fresh recovery codes, and their hashes to store (keyed with `key`, see
/// [`hash_recovery_code`]).
pub fn new_recovery_codes(key: &[u8]) -> (Vec<String>, Vec<Vec<u8>>) {
    let mut rng = rand::rng();
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String =
                (0..10).map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())])).collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect();
    let hashes = codes.iter().map(|c| hash_recovery_code(key, c)).collect();
    (codes, hashes)
}

/// The hash a recovery code is stored and looked up by: case, spaces and dashes do not matter.
/// About 50 random bits would fall to an offline search of a plain hash; keyed with a key derived
/// from the server's secret key (HMAC-SHA256), a copy of the database alone does not allow one.
pub fn hash_recovery_code(key: &[u8], code: &str) -> Vec<u8> {
    let normal: String =
        code.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect();
    crate::secrets::hmac_sha256(key, &[normal.as_bytes()]).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_6238_sha1_vector_checks_at_its_time_and_one_step_either_side() {
        // RFC 6238 appendix B: seed "12345678901234567890", T = 59 s → 94287082 (8 digits);
        // its last 6 digits are the 6-digit code.
        let seed = b"12345678901234567890";
        assert_eq!(check(seed, "287082", 59), Some(1));
        assert_eq!(check(seed, "287082", 59 + 30), Some(1), "one step late");
        assert_eq!(check(seed, "287082", 59 - 30), Some(1), "one step early");
        assert_eq!(check(seed, "287082", 59 + 60), None, "two steps late");
        assert_eq!(check(seed, "287083", 59), None);
        assert_eq!(check(seed, "28708", 59), None);
        assert_eq!(check(seed, "2870820", 59), None);
    }

    #[test]
    fn enrolment_names_issuer_and_account_and_draws_the_uri() {
        let e = enrolment(&[1; 20], "Roster", "ada@example.com").unwrap();
        assert!(e.otpauth_uri.starts_with("otpauth://totp/Roster:ada%40example.com?secret="), "{}", e.otpauth_uri);
        assert!(e.otpauth_uri.contains(&e.secret));
        assert!(e.otpauth_uri.contains("issuer=Roster"));
        assert_eq!(e.secret.len(), 32, "160 bits in base32");
        assert!(e.qr_svg.starts_with("<?xml") && e.qr_svg.contains("<svg"), "{}", &e.qr_svg[..60]);
        assert!(!e.qr_svg.contains("href") && !e.qr_svg.contains("url("), "the SVG refers to nothing outside itself");
    }

    #[test]
    fn recovery_codes_are_distinct_and_match_however_they_are_typed() {
        let (codes, hashes) = new_recovery_codes(b"key");
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        let typed = format!(" {} ", codes[3].to_uppercase().replace('-', " "));
        assert_eq!(hash_recovery_code(b"key", &typed), hashes[3]);
        assert_ne!(hash_recovery_code(b"another key", &typed), hashes[3]);
        assert!(!is_totp_code(&codes[0]));
        assert!(is_totp_code("012345"));
    }
}

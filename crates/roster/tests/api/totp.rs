//! An independent RFC 6238 TOTP for the tests (HMAC-SHA1, 6 digits, 30 s steps), written from the
//! RFCs with the `hmac` and `sha1` crates, so that Roster's codes are checked against something
//! that is not Roster's own code. Base32 (RFC 4648) is decoded here too.

use hmac::{KeyInit, Mac};

/// The seed a base32 `secret` stands for.
pub fn base32_decode(secret: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut held = 0;
    let mut out = Vec::new();
    for c in secret.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase()).expect("base32 character") as u64;
        bits = (bits << 5) | value;
        held += 5;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    out
}

/// The 6-digit code of `seed` at `unix` seconds (RFC 4226 §5.3 dynamic truncation).
pub fn code_at(seed: &[u8], unix: i64) -> String {
    let counter = (unix / 30) as u64;
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(seed).unwrap();
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let binary = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    format!("{:06}", binary % 1_000_000)
}

#[test]
fn the_test_totp_matches_the_rfc_6238_sha1_vectors() {
    // Appendix B, SHA-1, seed "12345678901234567890": the last 6 of the 8-digit codes.
    let seed = b"12345678901234567890";
    assert_eq!(code_at(seed, 59), "287082");
    assert_eq!(code_at(seed, 1_111_111_109), "081804");
    assert_eq!(code_at(seed, 1_234_567_890), "005924");
    assert_eq!(code_at(seed, 2_000_000_000), "279037");
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), seed);
}

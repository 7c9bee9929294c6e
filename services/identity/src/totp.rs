//! Time-based one-time passwords (RFC 6238, as authenticator apps use them: HMAC-SHA1, six
//! digits, 30-second steps) for a second factor, and the one-time recovery codes that stand
//! in for a lost device. A code is taken within one step either side of now (a clock a
//! little off), and only once: a step used is not accepted again, nor any before it.

use hmac::{Hmac, Mac};
use rand_core::RngCore;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Seconds per step.
pub const STEP: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes made at once.
pub const RECOVERY_CODES: usize = 10;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as otpauth URIs carry secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0_u32, 0_u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// A TOTP secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    pub fn generate() -> Self {
        let mut bytes = vec![0_u8; SECRET_BYTES];
        rand_core::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// A secret as an app is given it (base32, any case, no padding).
    pub fn from_base32(text: &str) -> Option<Self> {
        let (mut buffer, mut bits, mut bytes) = (0_u32, 0_u32, Vec::new());
        for c in text.trim().trim_end_matches('=').bytes() {
            let value = BASE32.iter().position(|b| *b == c.to_ascii_uppercase())?;
            buffer = (buffer << 5) | u32::try_from(value).ok()?;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
            }
        }
        Some(Self(bytes))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// What an authenticator app is given: the base32 secret in an `otpauth://` URI.
    pub fn uri(&self, issuer: &str, account: &str) -> String {
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
            enc(issuer),
            enc(account),
            base32(&self.0),
            enc(issuer)
        )
    }

    /// The code of step `step` (RFC 4226's HOTP of the step counter).
    pub fn code(&self, step: i64) -> u32 {
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&self.0) else { return 0 };
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let value = u32::from_be_bytes([digest[offset], digest[offset + 1], digest[offset + 2], digest[offset + 3]])
            & 0x7fff_ffff;
        value % 10_u32.pow(DIGITS)
    }

    /// The step `code` belongs to, if it is this secret's code for a step within one of
    /// `now`'s and later than `used` (the last step accepted): the step to remember.
    pub fn verify(&self, code: &str, now: i64, used: Option<i64>) -> Option<i64> {
        let code = code.trim();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let wanted: u32 = code.parse().ok()?;
        let current = now.div_euclid(STEP);
        // Constant time per candidate: every step of the window is computed and compared.
        let mut found = None;
        for step in [current - 1, current, current + 1] {
            let matches = constant_eq(self.code(step), wanted);
            if matches && used.is_none_or(|u| step > u) && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

fn constant_eq(a: u32, b: u32) -> bool {
    (a ^ b) == 0
}

/// Fresh recovery codes, as the account is shown them once (`xxxxx-xxxxx`, base32).
pub fn recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0_u8; 7];
            rand_core::OsRng.fill_bytes(&mut bytes);
            let code = base32(&bytes).to_lowercase();
            format!("{}-{}", &code[..5], &code[5..10])
        })
        .collect()
}

/// What is kept of a recovery code: its SHA-256 (the codes carry 56 random bits each and are
/// used once; a slow hash would add nothing).
pub fn hash_recovery(code: &str) -> String {
    let normalized: String = code.trim().to_lowercase().chars().filter(|c| *c != '-' && *c != ' ').collect();
    Sha256::digest(normalized.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret.
    fn rfc() -> Secret {
        Secret::from_bytes(b"12345678901234567890".to_vec())
    }

    #[test]
    fn codes_match_rfc_6238() {
        // The RFC's eight-digit codes, cut to six.
        for (time, code) in
            [(59, 94_287_082_u32), (1_111_111_109, 7_081_804), (1_234_567_890, 89_005_924), (2_000_000_000, 69_279_037)]
        {
            assert_eq!(rfc().code(time / STEP), code % 1_000_000, "at {time}");
        }
    }

    #[test]
    fn a_code_is_taken_within_a_step_of_now_and_only_once() {
        let secret = rfc();
        let now = 1_234_567_890;
        let code = format!("{:06}", secret.code(now / STEP));
        let step = secret.verify(&code, now, None).expect("now's code");
        assert_eq!(secret.verify(&code, now, Some(step)), None, "used once");
        assert!(secret.verify(&code, now + STEP, None).is_some(), "a step late is taken");
        assert_eq!(secret.verify(&code, now + 3 * STEP, None), None, "three steps late is not");
        let earlier = format!("{:06}", secret.code(now / STEP - 1));
        assert_eq!(secret.verify(&earlier, now, Some(step)), None, "nor a step before one used");
        assert_eq!(secret.verify("12345", now, None), None);
        assert_eq!(secret.verify("abcdef", now, None), None);
    }

    #[test]
    fn secrets_travel_as_base32_in_an_otpauth_uri() {
        assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(Secret::from_base32("gezdgnbvgy3tqojqgezdgnbvgy3tqojq"), Some(rfc()));
        assert_eq!(Secret::from_base32("not base32!"), None);
        let uri = rfc().uri("Shop & Co", "ada@example.com");
        assert!(uri.starts_with("otpauth://totp/Shop%20%26%20Co:ada%40example%2Ecom?secret=GEZDGNBV"), "{uri}");
        assert!(uri.ends_with("&digits=6&period=30"), "{uri}");
        assert_eq!(format!("{:?}", rfc()), "Secret(***)");
    }

    #[test]
    fn recovery_codes_are_random_and_kept_hashed() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        let mut unique = codes.clone();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        assert_eq!(hash_recovery(&codes[0]), hash_recovery(&format!(" {} ", codes[0].to_uppercase())));
        assert_ne!(hash_recovery(&codes[0]), hash_recovery(&codes[1]));
    }
}

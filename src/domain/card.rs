//! Card numbers: Luhn, brand, length, expiry and CVC, with Stripe's error
//! codes. A `CardNumber` never prints its digits.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber(…{})", self.last4())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Brand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Diners,
    Jcb,
    UnionPay,
}

impl Brand {
    pub fn as_str(self) -> &'static str {
        match self {
            Brand::Visa => "visa",
            Brand::Mastercard => "mastercard",
            Brand::Amex => "amex",
            Brand::Discover => "discover",
            Brand::Diners => "diners",
            Brand::Jcb => "jcb",
            Brand::UnionPay => "unionpay",
        }
    }

    fn lengths(self) -> &'static [usize] {
        match self {
            Brand::Amex => &[15],
            Brand::Diners => &[14, 16],
            Brand::Visa => &[13, 16, 19],
            Brand::UnionPay => &[16, 17, 18, 19],
            _ => &[16],
        }
    }

    pub fn cvc_len(self) -> usize {
        if self == Brand::Amex {
            4
        } else {
            3
        }
    }
}

/// Why a card was refused: Stripe's `code`, the param, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardError {
    pub code: &'static str,
    pub field: &'static str,
    pub message: &'static str,
}

fn err(code: &'static str, field: &'static str, message: &'static str) -> CardError {
    CardError { code, field, message }
}

pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

fn prefix_num(digits: &str, n: usize) -> u32 {
    digits.get(..n).and_then(|p| p.parse().ok()).unwrap_or(0)
}

pub fn brand(digits: &str) -> Option<Brand> {
    let p2 = prefix_num(digits, 2);
    let p3 = prefix_num(digits, 3);
    let p4 = prefix_num(digits, 4);
    let p6 = prefix_num(digits, 6);
    if digits.starts_with('4') {
        Some(Brand::Visa)
    } else if (51..=55).contains(&p2) || (222_100..=272_099).contains(&p6) {
        Some(Brand::Mastercard)
    } else if p2 == 34 || p2 == 37 {
        Some(Brand::Amex)
    } else if p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) {
        Some(Brand::Discover)
    } else if p2 == 36 || p2 == 38 || (300..=305).contains(&p3) {
        Some(Brand::Diners)
    } else if (3528..=3589).contains(&p4) {
        Some(Brand::Jcb)
    } else if p2 == 62 {
        Some(Brand::UnionPay)
    } else {
        None
    }
}

impl CardNumber {
    /// Spaces and dashes are ignored; anything else must be a digit.
    pub fn parse(raw: &str) -> Result<(Self, Brand), CardError> {
        let digits: String = raw.chars().filter(|c| *c != ' ' && *c != '-').collect();
        let bad = || err("incorrect_number", "number", "Your card number is incorrect.");
        if digits.len() < 12 || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let brand = brand(&digits).ok_or_else(bad)?;
        if !brand.lengths().contains(&digits.len()) || !luhn(&digits) {
            return Err(bad());
        }
        Ok((Self(digits), brand))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }
}

/// Expiry must be a real month, not in the past (as of `now_year`/`now_month`).
pub fn check_expiry(month: i64, year: i64, now_year: i64, now_month: i64) -> Result<(), CardError> {
    if !(1..=12).contains(&month) {
        return Err(err("invalid_expiry_month", "exp_month", "Your card's expiration month is invalid."));
    }
    let year = if (0..100).contains(&year) { 2000 + year } else { year };
    if year < now_year || year > now_year + 50 {
        return Err(err("invalid_expiry_year", "exp_year", "Your card's expiration year is invalid."));
    }
    if year == now_year && month < now_month {
        return Err(err("invalid_expiry_month", "exp_month", "Your card's expiration month is invalid."));
    }
    Ok(())
}

pub fn check_cvc(cvc: &str, brand: Brand) -> Result<(), CardError> {
    if cvc.len() != brand.cvc_len() || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("invalid_cvc", "cvc", "Your card's security code is invalid."));
    }
    Ok(())
}

/// Civil (year, month) of a Unix time, UTC.
pub fn year_month(unix: i64) -> (i64, i64) {
    // Howard Hinnant's days-from-civil inverse.
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn test_cards_parse_with_their_brand() {
        for (n, b) in [
            ("4242424242424242", Brand::Visa),
            ("5555 5555 5555 4444", Brand::Mastercard),
            ("378282246310005", Brand::Amex),
            ("6011111111111117", Brand::Discover),
            ("3056930009020004", Brand::Diners),
            ("3566002020360505", Brand::Jcb),
            ("6200000000000005", Brand::UnionPay),
            ("2223003122003222", Brand::Mastercard),
        ] {
            assert_eq!(CardNumber::parse(n).map(|(_, b)| b), Ok(b), "{n}");
        }
    }

    #[test]
    fn bad_numbers_are_incorrect_number() {
        for n in ["4242424242424241", "42424242", "4242-4242-4242-424x", "9999999999999995", "37828224631000"] {
            assert_eq!(CardNumber::parse(n).unwrap_err().code, "incorrect_number", "{n}");
        }
    }

    #[test]
    fn expiry_and_cvc_follow_stripes_codes() {
        assert!(check_expiry(12, 2030, 2026, 11).is_ok());
        assert!(check_expiry(11, 26, 2026, 11).is_ok());
        assert_eq!(check_expiry(10, 2026, 2026, 11).unwrap_err().code, "invalid_expiry_month");
        assert_eq!(check_expiry(13, 2030, 2026, 11).unwrap_err().code, "invalid_expiry_month");
        assert_eq!(check_expiry(1, 2020, 2026, 11).unwrap_err().code, "invalid_expiry_year");
        assert_eq!(check_cvc("12", Brand::Amex).unwrap_err().code, "invalid_cvc");
        assert!(check_cvc("1234", Brand::Amex).is_ok());
        assert!(check_cvc("123", Brand::Visa).is_ok());
    }

    #[test]
    fn debug_hides_the_number() {
        let (n, _) = CardNumber::parse("4242424242424242").unwrap();
        assert_eq!(format!("{n:?}"), "CardNumber(…4242)");
    }

    #[test]
    fn year_month_is_civil_utc() {
        assert_eq!(year_month(0), (1970, 1));
        assert_eq!(year_month(1_795_333_749), (2026, 11));
        assert_eq!(year_month(951_782_400), (2000, 2)); // 2000-02-29
    }

    proptest! {
        #[test]
        fn any_digit_string_with_a_valid_check_digit_passes_luhn(body in "[0-9]{15}") {
            let check = (0..10).find(|d| luhn(&format!("{body}{d}"))).unwrap();
            let good = format!("{body}{check}");
            let bad = format!("{}{}", body, (check + 1) % 10);
            prop_assert!(luhn(&good));
            prop_assert!(!luhn(&bad));
        }
    }
}

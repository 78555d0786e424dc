//! ISO 4217 currencies: which are accepted, how many decimal places their
//! minor unit has (JPY 0, USD 2, KWD 3), and the smallest and largest
//! amount Stripe charges in each.

/// Currencies whose amounts have no minor unit (Stripe's list).
const ZERO_DECIMAL: &[&str] =
    &["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];

/// Currencies with three decimal places.
const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];

/// The two-decimal currencies kassa accepts (ISO 4217 active codes).
const TWO_DECIMAL: &[&str] = &[
    "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt", "bgn", "bmd", "bnd",
    "bob", "brl", "bsd", "bwp", "byn", "bzd", "cad", "cdf", "chf", "cny", "cop", "crc", "cve", "czk", "dkk", "dop",
    "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gtq", "gyd", "hkd", "hnl", "htg", "huf",
    "idr", "ils", "inr", "isk", "jmd", "kes", "kgs", "khr", "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "mad",
    "mdl", "mkd", "mmk", "mnt", "mop", "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok", "npr",
    "nzd", "pab", "pen", "pgk", "php", "pkr", "pln", "qar", "ron", "rsd", "rub", "sar", "sbd", "scr", "sek", "sgd",
    "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs", "top", "try", "ttd", "twd", "tzs", "uah", "usd", "uyu",
    "uzs", "wst", "xcd", "yer", "zar", "zmw",
];

/// Stripe's minimum charge amounts, in minor units
/// (<https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts>).
/// Stripe publishes no minimum for other currencies (it converts to the
/// account's settlement currency, which kassa does not have); there any
/// amount above zero is charged.
const MINIMUM_CHARGE: &[(&str, i64)] = &[
    ("aed", 200),
    ("aud", 50),
    ("bgn", 100),
    ("brl", 50),
    ("cad", 50),
    ("chf", 50),
    ("czk", 1500),
    ("dkk", 250),
    ("eur", 50),
    ("gbp", 30),
    ("hkd", 400),
    ("huf", 17500),
    ("inr", 50),
    ("jpy", 50),
    ("mxn", 1000),
    ("myr", 200),
    ("nok", 300),
    ("nzd", 50),
    ("pln", 200),
    ("ron", 200),
    ("sek", 300),
    ("sgd", 50),
    ("thb", 1000),
    ("usd", 50),
];

/// The largest amount Stripe charges: eight digits in the minor unit
/// (99,999,999 for USD, $999,999.99) ...
const MAXIMUM_CHARGE: i64 = 99_999_999;
/// ... except IDR, which takes twelve.
const MAXIMUM_CHARGE_WIDE: &[(&str, i64)] = &[("idr", 999_999_999_999)];

/// Why an amount cannot be charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Above the maximum (which it names): `amount_too_large`.
    TooLarge(i64),
    /// Above zero but under the minimum charge (which it names): `amount_too_small`.
    TooSmall(i64),
}

/// A supported currency, lowercase, with its exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    code: &'static str,
    exponent: u32,
}

impl Currency {
    /// Looks a code up case-insensitively; `None` for unknown currencies.
    pub fn parse(code: &str) -> Option<Self> {
        let lower = code.to_ascii_lowercase();
        let find = |list: &[&'static str]| list.iter().copied().find(|c| *c == lower);
        if let Some(c) = find(ZERO_DECIMAL) {
            return Some(Self { code: c, exponent: 0 });
        }
        if let Some(c) = find(THREE_DECIMAL) {
            return Some(Self { code: c, exponent: 3 });
        }
        find(TWO_DECIMAL).map(|c| Self { code: c, exponent: 2 })
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    /// Decimal places of the minor unit.
    pub fn exponent(self) -> u32 {
        self.exponent
    }

    /// The smallest amount above zero that can be charged, in minor units.
    pub fn minimum_charge(self) -> i64 {
        MINIMUM_CHARGE.iter().find(|(c, _)| *c == self.code).map_or(1, |(_, m)| *m)
    }

    /// The largest amount that can be charged, in minor units.
    pub fn maximum_charge(self) -> i64 {
        MAXIMUM_CHARGE_WIDE.iter().find(|(c, _)| *c == self.code).map_or(MAXIMUM_CHARGE, |(_, m)| *m)
    }

    /// Whether `amount` can be charged: zero (nothing is charged) or
    /// between the minimum charge and the maximum.
    pub fn check_charge(self, amount: i64) -> Result<(), Limit> {
        if amount > self.maximum_charge() {
            return Err(Limit::TooLarge(self.maximum_charge()));
        }
        if amount != 0 && amount < self.minimum_charge() {
            return Err(Limit::TooSmall(self.minimum_charge()));
        }
        Ok(())
    }

    /// Formats minor units for people: `1234` USD → `12.34`, JPY → `1234`.
    pub fn format(self, minor: i64) -> String {
        if self.exponent == 0 {
            return minor.to_string();
        }
        let scale = 10i64.pow(self.exponent);
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let scale = scale.unsigned_abs();
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = self.exponent as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("usd").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("kwd").unwrap().exponent(), 3);
        assert_eq!(Currency::parse("usd").unwrap().code(), "usd");
        assert!(Currency::parse("xyz").is_none());
        assert!(Currency::parse("").is_none());
    }

    #[test]
    fn amounts_format_with_the_exponent() {
        assert_eq!(Currency::parse("usd").unwrap().format(1234), "12.34");
        assert_eq!(Currency::parse("usd").unwrap().format(5), "0.05");
        assert_eq!(Currency::parse("jpy").unwrap().format(1234), "1234");
        assert_eq!(Currency::parse("kwd").unwrap().format(1234), "1.234");
        assert_eq!(Currency::parse("usd").unwrap().format(-150), "-1.50");
    }

    #[test]
    fn charge_limits_follow_stripes_table() {
        // (currency, minimum charge, maximum charge)
        let table: &[(&str, i64, i64)] = &[
            ("usd", 50, 99_999_999),
            ("eur", 50, 99_999_999),
            ("gbp", 30, 99_999_999),
            ("jpy", 50, 99_999_999),
            ("mxn", 1000, 99_999_999),
            ("huf", 17500, 99_999_999),
            ("thb", 1000, 99_999_999),
            ("kwd", 1, 99_999_999),
            ("idr", 1, 999_999_999_999),
        ];
        for &(code, min, max) in table {
            let c = Currency::parse(code).unwrap();
            assert_eq!((c.minimum_charge(), c.maximum_charge()), (min, max), "{code}");
            assert_eq!(c.check_charge(0), Ok(()), "{code}: nothing to charge");
            assert_eq!(c.check_charge(min), Ok(()), "{code}");
            assert_eq!(c.check_charge(max), Ok(()), "{code}");
            assert_eq!(c.check_charge(max + 1), Err(Limit::TooLarge(max)), "{code}");
            if min > 1 {
                assert_eq!(c.check_charge(min - 1), Err(Limit::TooSmall(min)), "{code}");
                assert_eq!(c.check_charge(1), Err(Limit::TooSmall(min)), "{code}");
            }
        }
        for (code, _) in MINIMUM_CHARGE.iter().chain(MAXIMUM_CHARGE_WIDE) {
            assert!(Currency::parse(code).is_some(), "{code} is a supported currency");
        }
    }
}

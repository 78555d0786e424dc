//! ISO 4217 currencies: which are accepted, and how many decimal places
//! their minor unit has (JPY 0, USD 2, KWD 3).

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
}

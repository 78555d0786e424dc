//! The hosted page's languages and money formatting: which of kassa's page
//! languages a session's `locale` (or the browser's `Accept-Language`, for
//! `auto`) means, and how an amount reads in it. Formats follow CLDR as
//! browsers' `Intl.NumberFormat` prints them, so `de` shows `25,00 €`.

use super::currency::Currency;

/// The languages the page is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
    Ja,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Ja => "ja",
        }
    }

    fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "de" => Some(Lang::De),
            "fr" => Some(Lang::Fr),
            "es" => Some(Lang::Es),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }
}

/// The page language for a session's `locale`; `auto` or none reads the
/// browser's `Accept-Language`, best weight first. Anything else is English.
pub fn resolve(locale: Option<&str>, accept_language: Option<&str>) -> Lang {
    match locale {
        Some(l) if l != "auto" => Lang::from_tag(l).unwrap_or(Lang::En),
        _ => accept_language.and_then(from_accept_language).unwrap_or(Lang::En),
    }
}

fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(u32, Lang)> = None;
    for part in header.split(',').take(32) {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or_default().trim();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .map(|q| (q.trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0) * 1000.0) as u32)
            .unwrap_or(1000);
        if let Some(lang) = Lang::from_tag(tag) {
            if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
    }
    best.map(|(_, l)| l)
}

struct Style {
    decimal: char,
    group: char,
    /// Groups only numbers of at least this many integer digits (CLDR's
    /// minimumGroupingDigits: Spanish writes 1234 but 12.345).
    min_group_digits: usize,
    symbol_first: bool,
}

fn style(lang: Lang) -> Style {
    match lang {
        Lang::En | Lang::Ja => Style { decimal: '.', group: ',', min_group_digits: 4, symbol_first: true },
        Lang::De => Style { decimal: ',', group: '.', min_group_digits: 4, symbol_first: false },
        Lang::Es => Style { decimal: ',', group: '.', min_group_digits: 5, symbol_first: false },
        Lang::Fr => Style { decimal: ',', group: '\u{202f}', min_group_digits: 4, symbol_first: false },
    }
}

fn symbol(currency: &str, lang: Lang) -> Option<&'static str> {
    Some(match (currency, lang) {
        ("eur", _) => "€",
        ("usd", Lang::Fr) => "$US",
        ("usd", Lang::Es) => "US$",
        ("usd", _) => "$",
        ("gbp", Lang::Fr) => "£GB",
        ("gbp", Lang::Es) => return None,
        ("gbp", _) => "£",
        ("jpy", Lang::Ja) => "￥",
        ("jpy", Lang::Fr | Lang::Es) => return None,
        ("jpy", _) => "¥",
        _ => return None,
    })
}

fn group(digits: &str, sep: char, min: usize) -> String {
    if digits.len() < min {
        return digits.to_owned();
    }
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// `minor` units of `currency` as the page shows them in `lang`: the
/// currency's own number of decimals (JPY none, KWD three), the language's
/// separators, and its symbol where one is common, else the ISO code.
pub fn format_money(minor: i64, currency: &str, lang: Lang) -> String {
    let currency = currency.to_ascii_lowercase();
    let exp = Currency::parse(&currency).map(Currency::exponent).unwrap_or(2);
    let st = style(lang);
    let scale = 10u64.pow(exp);
    let abs = minor.unsigned_abs();
    let mut number = group(&(abs / scale).to_string(), st.group, st.min_group_digits);
    if exp > 0 {
        number.push(st.decimal);
        number.push_str(&format!("{:0width$}", abs % scale, width = exp as usize));
    }
    let sign = if minor < 0 { "-" } else { "" };
    let (mark, spaced) = match symbol(&currency, lang) {
        Some(s) => (s.to_owned(), false),
        None => (currency.to_ascii_uppercase(), true),
    };
    if st.symbol_first {
        let gap = if spaced { "\u{a0}" } else { "" };
        format!("{sign}{mark}{gap}{number}")
    } else {
        format!("{sign}{number}\u{a0}{mark}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn german_euros_read_with_a_comma_and_the_sign_after() {
        assert_eq!(format_money(2500, "eur", Lang::De), "25,00\u{a0}€");
        assert_eq!(format_money(123_456_789, "eur", Lang::De), "1.234.567,89\u{a0}€");
    }

    #[test]
    fn english_dollars_and_yen() {
        assert_eq!(format_money(2500, "usd", Lang::En), "$25.00");
        assert_eq!(format_money(2500, "jpy", Lang::En), "¥2,500");
        assert_eq!(format_money(2500, "jpy", Lang::Ja), "￥2,500");
        assert_eq!(format_money(-150, "usd", Lang::En), "-$1.50");
    }

    #[test]
    fn kwd_has_three_decimals_and_unknown_symbols_show_the_code() {
        assert_eq!(format_money(1234, "kwd", Lang::En), "KWD\u{a0}1.234");
        assert_eq!(format_money(1234, "kwd", Lang::De), "1,234\u{a0}KWD");
    }

    #[test]
    fn french_groups_with_a_narrow_space_and_spanish_only_from_five_digits() {
        assert_eq!(format_money(123_456, "eur", Lang::Fr), "1\u{202f}234,56\u{a0}€");
        assert_eq!(format_money(123_456, "eur", Lang::Es), "1234,56\u{a0}€");
        assert_eq!(format_money(1_234_567, "eur", Lang::Es), "12.345,67\u{a0}€");
    }

    /// What Node's `Intl.NumberFormat(lang, {style: "currency", currency})`
    /// prints (full ICU), for every page language and a spread of currencies.
    #[test]
    fn every_language_matches_intl_number_format() {
        let table = [
            (123450, "usd", Lang::En, "$1,234.50"),
            (123450, "eur", Lang::En, "\u{20ac}1,234.50"),
            (123450, "gbp", Lang::En, "\u{a3}1,234.50"),
            (2500, "jpy", Lang::En, "\u{a5}2,500"),
            (12345, "kwd", Lang::En, "KWD\u{a0}12.345"),
            (123450, "chf", Lang::En, "CHF\u{a0}1,234.50"),
            (123450, "usd", Lang::De, "1.234,50\u{a0}$"),
            (123450, "eur", Lang::De, "1.234,50\u{a0}\u{20ac}"),
            (123450, "gbp", Lang::De, "1.234,50\u{a0}\u{a3}"),
            (2500, "jpy", Lang::De, "2.500\u{a0}\u{a5}"),
            (12345, "kwd", Lang::De, "12,345\u{a0}KWD"),
            (123450, "chf", Lang::De, "1.234,50\u{a0}CHF"),
            (123450, "usd", Lang::Fr, "1\u{202f}234,50\u{a0}$US"),
            (123450, "eur", Lang::Fr, "1\u{202f}234,50\u{a0}\u{20ac}"),
            (123450, "gbp", Lang::Fr, "1\u{202f}234,50\u{a0}\u{a3}GB"),
            (2500, "jpy", Lang::Fr, "2\u{202f}500\u{a0}JPY"),
            (12345, "kwd", Lang::Fr, "12,345\u{a0}KWD"),
            (123450, "chf", Lang::Fr, "1\u{202f}234,50\u{a0}CHF"),
            (123450, "usd", Lang::Es, "1234,50\u{a0}US$"),
            (123450, "eur", Lang::Es, "1234,50\u{a0}\u{20ac}"),
            (123450, "gbp", Lang::Es, "1234,50\u{a0}GBP"),
            (2500, "jpy", Lang::Es, "2500\u{a0}JPY"),
            (12345, "kwd", Lang::Es, "12,345\u{a0}KWD"),
            (123450, "chf", Lang::Es, "1234,50\u{a0}CHF"),
            (123450, "usd", Lang::Ja, "$1,234.50"),
            (123450, "eur", Lang::Ja, "\u{20ac}1,234.50"),
            (123450, "gbp", Lang::Ja, "\u{a3}1,234.50"),
            (2500, "jpy", Lang::Ja, "\u{ffe5}2,500"),
            (12345, "kwd", Lang::Ja, "KWD\u{a0}12.345"),
            (123450, "chf", Lang::Ja, "CHF\u{a0}1,234.50"),
        ];
        for (minor, cur, lang, want) in table {
            assert_eq!(format_money(minor, cur, lang), want, "{cur} in {lang:?}");
        }
    }

    #[test]
    fn auto_reads_accept_language_by_weight() {
        assert_eq!(resolve(Some("auto"), Some("it;q=1, fr-CH;q=0.9, de;q=0.8")), Lang::Fr);
        assert_eq!(resolve(None, Some("ja-JP")), Lang::Ja);
        assert_eq!(resolve(Some("auto"), Some("xx, yy")), Lang::En);
        assert_eq!(resolve(Some("de"), Some("fr")), Lang::De);
        assert_eq!(resolve(Some("es-419"), None), Lang::Es);
        assert_eq!(resolve(Some("it"), None), Lang::En);
        assert_eq!(resolve(Some("auto"), Some("de;q=0")), Lang::En);
    }

    proptest! {
        #[test]
        fn the_digits_are_the_amount(minor in -10_000_000_000i64..10_000_000_000, cur in prop::sample::select(vec!["usd", "eur", "jpy", "kwd", "chf"]), lang in prop::sample::select(vec![Lang::En, Lang::De, Lang::Fr, Lang::Es, Lang::Ja])) {
            let s = format_money(minor, cur, lang);
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            let exp = Currency::parse(cur).map(Currency::exponent).unwrap_or(2) as usize;
            let expected = format!("{:0width$}", minor.unsigned_abs(), width = exp + 1);
            prop_assert_eq!(digits, expected);
            prop_assert_eq!(s.starts_with('-'), minor < 0);
        }
    }
}

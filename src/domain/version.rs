//! Stripe API versions (`2026-10-28.endive`). Behaviour that depends on the
//! version asks `ApiVersion` here, so the branches live in one place.

use std::fmt;

/// The newest version kassa speaks, and the default of every new account.
pub const LATEST: &str = "2026-10-28.endive";

/// `ui_mode` values renamed (`hosted` → `hosted_page` …) from this version on.
pub const DAHLIA: (u16, u8, u8) = (2026, 3, 25);
/// `PromotionCode.coupon` moved to `promotion.coupon` from this version on.
pub const CLOVER: (u16, u8, u8) = (2025, 9, 30);

/// A parsed `Stripe-Version`: a date plus an optional release name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion {
    date: (u16, u8, u8),
    raw: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid API version")]
pub struct InvalidVersion;

impl ApiVersion {
    /// Parses `YYYY-MM-DD` or `YYYY-MM-DD.name` (name: lowercase letters).
    pub fn parse(s: &str) -> Result<Self, InvalidVersion> {
        let (date, name) = match s.split_once('.') {
            Some((d, n)) => (d, Some(n)),
            None => (s, None),
        };
        if let Some(n) = name {
            if n.is_empty() || n.len() > 32 || !n.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(InvalidVersion);
            }
        }
        let parts: Vec<&str> = date.split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(InvalidVersion);
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(InvalidVersion);
        }
        let y: u16 = y.parse().map_err(|_| InvalidVersion)?;
        let m: u8 = m.parse().map_err(|_| InvalidVersion)?;
        let d: u8 = d.parse().map_err(|_| InvalidVersion)?;
        if !(2011..=2100).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return Err(InvalidVersion);
        }
        Ok(Self { date: (y, m, d), raw: s.to_owned() })
    }

    pub fn latest() -> Self {
        Self::parse(LATEST).unwrap_or(Self { date: (2026, 10, 28), raw: LATEST.to_owned() })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// True when this version is on or after the release dated `date`.
    pub fn at_least(&self, date: (u16, u8, u8)) -> bool {
        self.date >= date
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_versions_parse_and_order_by_date() {
        let v = ApiVersion::parse("2025-03-31.basil").unwrap();
        assert!(!v.at_least(DAHLIA));
        assert!(v.at_least((2025, 3, 31)));
        assert!(ApiVersion::latest().at_least(DAHLIA));
        assert!(ApiVersion::parse("2020-08-27").is_ok());
    }

    #[test]
    fn malformed_versions_are_rejected() {
        for bad in
            ["", "2020", "2020-8-27", "2020-13-01", "yesterday", "2020-08-27.", "2020-08-27.Basil", "2020-08-27;drop"]
        {
            assert_eq!(ApiVersion::parse(bad), Err(InvalidVersion), "{bad}");
        }
    }
}

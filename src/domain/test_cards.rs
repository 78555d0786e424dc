//! Stripe's published test card numbers (reference §7). They move money
//! nowhere, so a live-mode payment with one is declined the way Stripe
//! declines it: `card_declined` / `test_mode_live_card`.

/// Every number Stripe's testing page publishes for cards, 3-D Secure and
/// declines (the ones kassa's test processor knows, and the others a
/// developer may paste from Stripe's docs).
const PUBLISHED: &[&str] = &[
    // Brands.
    "4242424242424242",
    "4000056655665556",
    "5555555555554444",
    "2223003122003222",
    "5200828282828210",
    "5105105105105100",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "6011981111111113",
    "3056930009020004",
    "36227206271667",
    "6555900000604105",
    "3566002020360505",
    "6200000000000005",
    "6200000000000047",
    "6205500000000000004",
    "4000002500001001",
    "5555552500001001",
    // Countries.
    "4000000760000002",
    "4000001240000000",
    "4000004840008001",
    "4000000400000008",
    "4000000560000004",
    "4000002080000001",
    "4000002460000001",
    "4000002500000003",
    "4000002760000016",
    "4000003800000008",
    "4000006160000005",
    "4000007240000007",
    "4000008260000000",
    "4000000360000006",
    "4000003920000003",
    "3530111333300000",
    "4000007020000003",
    "4000003560000008",
    // Declines and checks.
    "4000000000000002",
    "4000000000009995",
    "4000000000009987",
    "4000000000009979",
    "4000000000000069",
    "4000000000000127",
    "4000000000000119",
    "4000000000000101",
    "4000000000000341",
    "4000000000000259",
    "4000000000002685",
    "4100000000000019",
    "4000000000000028",
    "4000000000000036",
    "4000000000000044",
    "4000000000005126",
    "4000000000000077",
    "4000000000000093",
    "4000003720000278",
    "4000000000006975",
    "4000000000000010",
    "4000000000004954",
    "4000000000009235",
    "4000000000000051",
    // 3-D Secure.
    "4000000000003220",
    "4000002760003184",
    "4000008400001629",
    "4000002500003155",
    "4000008260003178",
    "4000000000003063",
    "4000000000003055",
    "4000000000003097",
    "4000000000003238",
    "4000000000003246",
    "4000000000003253",
    "4000003800000446",
];

/// Whether `digits` (no spaces) is one of Stripe's published test cards.
pub fn is_published(digits: &str) -> bool {
    PUBLISHED.contains(&digits)
}

/// Stripe's message for a test card used in live mode.
pub const LIVE_MODE_MESSAGE: &str =
    "Your card was declined. Your request was in live mode, but used a known test card.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_number_is_a_valid_card_number() {
        for n in PUBLISHED {
            assert!(crate::domain::card::luhn(n), "{n} fails the Luhn check");
        }
    }

    #[test]
    fn a_real_looking_number_is_not_a_test_card() {
        assert!(is_published("4242424242424242"));
        assert!(!is_published("4111111111111111"));
    }
}

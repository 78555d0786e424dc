//! What a processor says in free text never reaches a buyer, an event or
//! the database as it came: a gateway may echo the card number or the CVC
//! in a decline message. kassa answers with its own message for the
//! decline code, and keeps the processor's text only scrubbed and short.

/// The longest processor text kept (characters).
pub const MAX_TEXT: usize = 200;

/// The processor's text with every run of 3 or more digits (spaces and
/// dashes between them allowed: a card number, a CVC, an expiry) replaced
/// by `[redacted]`, control characters dropped, and at most `MAX_TEXT`
/// characters kept.
pub fn scrub(text: &str) -> String {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_control()).collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let (mut j, mut digits) = (i, 0);
        while j < chars.len()
            && (chars[j].is_ascii_digit()
                || (matches!(chars[j], ' ' | '-' | '/') && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
        {
            digits += usize::from(chars[j].is_ascii_digit());
            j += 1;
        }
        if digits >= 3 {
            out.push_str("[redacted]");
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    out.chars().take(MAX_TEXT).collect()
}

/// A decline code as a processor sent it, if it looks like one
/// (`[a-z0-9_]`, at most 64 characters); otherwise `generic_decline`.
pub fn decline_code(raw: Option<&str>) -> String {
    match raw {
        Some(c)
            if !c.is_empty()
                && c.len() <= 64
                && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
        {
            c.to_owned()
        }
        _ => "generic_decline".to_owned(),
    }
}

/// kassa's own message for a decline code (Stripe's wording where it has one).
pub fn decline_message(decline_code: &str) -> &'static str {
    match decline_code {
        "insufficient_funds" => "Your card has insufficient funds.",
        "expired_card" => "Your card has expired.",
        "incorrect_cvc" => "Your card's security code is incorrect.",
        "incorrect_number" => "Your card number is incorrect.",
        "processing_error" => "An error occurred while processing your card. Try again in a little bit.",
        "authentication_required" => "This payment needs the cardholder to authenticate.",
        _ => "Your card was declined.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn card_numbers_cvcs_and_expiries_are_redacted() {
        assert_eq!(
            scrub("Card 4242 4242 4242 4242 cvc 123 exp 12/31 refused"),
            "Card [redacted] cvc [redacted] exp [redacted] refused"
        );
        assert_eq!(scrub("pan=4000-0000-0000-0002;cvv=9876"), "pan=[redacted];cvv=[redacted]");
        assert_eq!(scrub("Do not honor (05)"), "Do not honor (05)");
        assert_eq!(scrub("bad\u{0}\ntext"), "badtext");
        assert_eq!(scrub(&"x".repeat(500)).len(), MAX_TEXT);
    }

    #[test]
    fn only_well_formed_decline_codes_pass() {
        assert_eq!(decline_code(Some("do_not_honor")), "do_not_honor");
        assert_eq!(decline_code(Some("4242424242424242 declined")), "generic_decline");
        assert_eq!(decline_code(None), "generic_decline");
        assert_eq!(decline_message("insufficient_funds"), "Your card has insufficient funds.");
    }

    proptest! {
        #[test]
        fn nothing_card_like_survives_and_scrubbing_is_stable(text in "[0-9a-z /-]{0,120}") {
            let out = scrub(&text);
            let bytes = out.as_bytes();
            prop_assert!(!bytes.windows(3).any(|w| w.iter().all(u8::is_ascii_digit)), "{}", out);
            prop_assert_eq!(scrub(&out), out.clone());
        }
    }
}

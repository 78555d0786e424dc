//! The built-in `test` processor: Stripe's test cards (reference §7).

use async_trait::async_trait;

use super::{Authorize, Lookup, Outcome, Processor, RefundOutcome};
use crate::meters::timed;

pub struct TestProcessor;

/// The outcome a test card number always gives.
pub fn outcome_for(number: &str) -> Outcome {
    const DECLINED: &str = "Your card was declined.";
    match number {
        "4000000000000002" | "4000000000000341" => Outcome::declined("card_declined", "generic_decline", DECLINED),
        "4000000000009995" => {
            Outcome::declined("card_declined", "insufficient_funds", "Your card has insufficient funds.")
        }
        "4000000000009987" => Outcome::declined("card_declined", "lost_card", DECLINED),
        "4000000000009979" => Outcome::declined("card_declined", "stolen_card", DECLINED),
        "4100000000000019" => Outcome::declined("card_declined", "fraudulent", DECLINED),
        "4000000000000069" => Outcome::declined("expired_card", "expired_card", "Your card has expired."),
        "4000000000000127" => {
            Outcome::declined("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.")
        }
        "4000000000000119" => Outcome::declined(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
        _ => Outcome::Approved { reference: format!("test_{}", crate::ids::random_base62(20)) },
    }
}

/// Cards that need 3-D Secure before any charge (seed 003 flows).
pub fn three_d_secure_flow(number: &str) -> Option<&'static str> {
    match number {
        "4000000000003220" | "4000002760003184" | "4000008400001629" | "4000002500003155" | "4000008260003178" => {
            Some("challenge")
        }
        "4000000000003063" => Some("method"),
        "4000000000003055" => Some("frictionless"),
        _ => None,
    }
}

/// After a successful challenge, these cards are still declined.
pub fn declines_after_authentication(number: &str) -> bool {
    matches!(number, "4000008400001629" | "4000008260003178")
}

#[async_trait]
impl Processor for TestProcessor {
    fn name(&self) -> &str {
        "test"
    }

    #[tracing::instrument(skip_all, fields(processor = "test", operation = "authorize"))]
    async fn authorize(&self, req: &Authorize) -> Outcome {
        timed("test", "authorize", async {
            let number = req.card.number.digits();
            if declines_after_authentication(number) {
                return Outcome::declined("card_declined", "generic_decline", "Your card was declined.");
            }
            outcome_for(number)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(processor = "test", operation = "lookup"))]
    async fn lookup(&self, _idempotency_key: &str) -> Lookup {
        // The test processor answers synchronously: it never leaves a request unknown.
        timed("test", "lookup", async { Lookup::NotFound }).await
    }

    #[tracing::instrument(skip_all, fields(processor = "test", operation = "refund"))]
    async fn refund(&self, _reference: &str, _amount: i64, idempotency_key: &str) -> RefundOutcome {
        let reference = format!("test_refund_{idempotency_key}");
        timed("test", "refund", async { RefundOutcome::Succeeded { reference } }).await
    }

    #[tracing::instrument(skip_all, fields(processor = "test", operation = "capture"))]
    async fn capture(&self, _reference: &str, _amount: i64, idempotency_key: &str) -> RefundOutcome {
        let reference = format!("test_capture_{idempotency_key}");
        timed("test", "capture", async { RefundOutcome::Succeeded { reference } }).await
    }

    #[tracing::instrument(skip_all, fields(processor = "test", operation = "void"))]
    async fn void(&self, _reference: &str, idempotency_key: &str) -> RefundOutcome {
        let reference = format!("test_void_{idempotency_key}");
        timed("test", "void", async { RefundOutcome::Succeeded { reference } }).await
    }
}

/// `pm_card_*` tokens and the test card each stands for.
pub fn token_card(token: &str) -> Option<&'static str> {
    Some(match token {
        "pm_card_visa" | "tok_visa" => "4242424242424242",
        "pm_card_visa_debit" => "4000056655665556",
        "pm_card_mastercard" | "tok_mastercard" => "5555555555554444",
        "pm_card_amex" | "tok_amex" => "378282246310005",
        "pm_card_discover" => "6011111111111117",
        "pm_card_visa_chargeDeclined" | "tok_chargeDeclined" => "4000000000000002",
        "pm_card_visa_chargeDeclinedInsufficientFunds" | "pm_card_chargeDeclinedInsufficientFunds" => {
            "4000000000009995"
        }
        "pm_card_visa_chargeDeclinedLostCard" | "pm_card_chargeDeclinedLostCard" => "4000000000009987",
        "pm_card_visa_chargeDeclinedStolenCard" | "pm_card_chargeDeclinedStolenCard" => "4000000000009979",
        "pm_card_chargeDeclinedExpiredCard" => "4000000000000069",
        "pm_card_chargeDeclinedIncorrectCvc" => "4000000000000127",
        "pm_card_chargeDeclinedProcessingError" => "4000000000000119",
        "pm_card_chargeCustomerFail" => "4000000000000341",
        "pm_card_authenticationRequiredOnSetup" => "4000002500003155",
        "pm_card_authenticationRequired" => "4000002760003184",
        "pm_card_threeDSecure2Required" => "4000000000003220",
        "pm_card_threeDSecureRequiredChargeDeclined" => "4000008400001629",
        "pm_card_threeDSecureOptional" => "4000000000003055",
        "pm_card_createDispute" => "4000000000000259",
        "pm_card_radarBlock" => "4100000000000019",
        _ => return None,
    })
}

//! Counting redemptions of coupons and promotion codes.

use super::coupon::Coupon;
use super::document::Document;
use super::promotion_code::PromotionCode;

/// Something redeemed a limited number of times.
pub trait Redeemable: Document + Clone {
    /// What the refusal names (`coupon`, `promotion_code`).
    const WHAT: &'static str;
    fn counter(&mut self) -> &mut i64;
    fn limit(&self) -> Option<i64>;
}

impl Redeemable for Coupon {
    const WHAT: &'static str = "coupon";
    fn counter(&mut self) -> &mut i64 {
        &mut self.times_redeemed
    }
    fn limit(&self) -> Option<i64> {
        self.max_redemptions
    }
}

impl Redeemable for PromotionCode {
    const WHAT: &'static str = "promotion_code";
    fn counter(&mut self) -> &mut i64 {
        &mut self.times_redeemed
    }
    fn limit(&self) -> Option<i64> {
        self.max_redemptions
    }
}

/// The object with one more redemption, or `None` if it has none left.
/// The caller commits it with a version check, so of two sessions racing
/// for the last redemption only one can win.
pub fn redeem<R: Redeemable>(obj: &R) -> Option<R> {
    let mut out = obj.clone();
    let limit = out.limit();
    let used = out.counter();
    if limit.is_some_and(|m| *used >= m) {
        return None;
    }
    *used += 1;
    Some(out)
}

/// Gives a redemption back (a payment that did not happen).
pub fn release<R: Redeemable>(obj: &R) -> R {
    let mut out = obj.clone();
    let used = out.counter();
    *used = (*used - 1).max(0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::coupon::{self, CouponParams};

    #[test]
    fn redemptions_stop_at_the_limit_and_come_back_on_release() {
        let p: CouponParams =
            serde_json::from_value(serde_json::json!({"percent_off": 10, "max_redemptions": 2})).unwrap();
        let mut c = coupon::build("C", false, 5, &p).unwrap();
        c.times_redeemed = 1;
        let c = redeem(&c).unwrap();
        assert_eq!(c.times_redeemed, 2);
        assert!(redeem(&c).is_none());
        assert_eq!(release(&c).times_redeemed, 1);
        let none = Coupon { times_redeemed: 0, max_redemptions: None, ..c };
        assert_eq!(release(&none).times_redeemed, 0);
        assert_eq!(redeem(&Coupon { times_redeemed: 5, ..none }).unwrap().times_redeemed, 6);
    }
}

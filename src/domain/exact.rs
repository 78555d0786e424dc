//! Exact money arithmetic: amounts and their fractions as `i128`
//! numerators over a power of ten, checked at every step, and **the one
//! rounding rule** every amount goes through: half away from zero, to the
//! whole minor unit, once.
//!
//! Every input amount fits in `i64` and every percentage has at most a few
//! decimal places, so the exact products kassa forms (a 12-place unit
//! amount times a quantity of 10^8, a subtotal times an `amount_off`) stay
//! far inside `i128`. An operation that would leave it is an
//! [`AmountError::Overflow`], never a wrap; so is a result that does not fit
//! back into `i64`.

use rust_decimal::Decimal;

use super::pricing::AmountError;

/// `10^n`.
pub fn pow10(n: u32) -> Result<i128, AmountError> {
    10i128.checked_pow(n).ok_or(AmountError::Overflow)
}

pub fn mul(a: i128, b: i128) -> Result<i128, AmountError> {
    a.checked_mul(b).ok_or(AmountError::Overflow)
}

pub fn add(a: i128, b: i128) -> Result<i128, AmountError> {
    a.checked_add(b).ok_or(AmountError::Overflow)
}

pub fn sub(a: i128, b: i128) -> Result<i128, AmountError> {
    a.checked_sub(b).ok_or(AmountError::Overflow)
}

/// `d` as a numerator over `10^scale` (`scale` at least `d`'s own scale).
pub fn scaled(d: Decimal, scale: u32) -> Result<i128, AmountError> {
    let up = scale.checked_sub(d.scale()).ok_or(AmountError::Overflow)?;
    mul(d.mantissa(), pow10(up)?)
}

/// The rounding rule: `num / den` rounded half away from zero (`den > 0`).
pub fn round_div(num: i128, den: i128) -> Result<i128, AmountError> {
    if den <= 0 {
        return Err(AmountError::Overflow);
    }
    let (q, r) = (num / den, (num % den).unsigned_abs());
    // `r ≥ den − r` is `2r ≥ den` without doubling.
    if r >= den.unsigned_abs() - r {
        return add(q, num.signum());
    }
    Ok(q)
}

/// A whole amount back into `i64` minor units.
pub fn to_i64(v: i128) -> Result<i64, AmountError> {
    i64::try_from(v).map_err(|_| AmountError::Overflow)
}

/// Shares `total` whole units among parts whose exact values are
/// `nums[i] / den` (and add up to `total` within less than a unit per
/// part): each part gets its floor, and the units left over go one each
/// to the parts with the largest remainders, the earlier part first on a
/// tie. Used for the amount-off split and for several inclusive rates.
pub fn largest_remainder(nums: &[i128], den: i128, total: i128) -> Result<Vec<i128>, AmountError> {
    if den <= 0 {
        return Err(AmountError::Overflow);
    }
    let mut out: Vec<i128> = nums.iter().map(|n| n.div_euclid(den)).collect();
    let given = out.iter().try_fold(0i128, |s, v| add(s, *v))?;
    let left = usize::try_from(sub(total, given)?).unwrap_or(0);
    let mut order: Vec<usize> = (0..nums.len()).collect();
    order.sort_by(|&a, &b| nums[b].rem_euclid(den).cmp(&nums[a].rem_euclid(den)).then(a.cmp(&b)));
    for i in order.into_iter().take(left) {
        out[i] = add(out[i], 1)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        let cases: &[(i128, i128, i128)] =
            &[(5, 10, 1), (4, 10, 0), (15, 10, 2), (-5, 10, -1), (-4, 10, 0), (-15, 10, -2), (7, 3, 2), (0, 9, 0)];
        for &(n, d, want) in cases {
            assert_eq!(round_div(n, d), Ok(want), "{n}/{d}");
        }
        assert_eq!(round_div(i128::MAX, i128::MAX), Ok(1));
        assert_eq!(round_div(1, 0), Err(AmountError::Overflow));
    }

    #[test]
    fn decimals_scale_exactly() {
        let d: Decimal = "1234567890.500100000001".parse().unwrap();
        assert_eq!(scaled(d, 12), Ok(1_234_567_890_500_100_000_001));
        assert_eq!(scaled(d, 15), Ok(1_234_567_890_500_100_000_001_000));
        assert_eq!(scaled(d, 11), Err(AmountError::Overflow));
        assert_eq!(scaled(Decimal::from(7), 3), Ok(7000));
    }

    #[test]
    fn the_largest_remainders_take_the_units_left() {
        // 2 units over three equal parts: the first two take them.
        assert_eq!(largest_remainder(&[2, 2, 2], 3, 2), Ok(vec![1, 1, 0]));
        // 10 over 1/3 and 2/3: 3.33 and 6.67 → 3 and 7.
        assert_eq!(largest_remainder(&[10, 20], 3, 10), Ok(vec![3, 7]));
        assert_eq!(largest_remainder(&[], 3, 0), Ok(vec![]));
    }
}

//! `Double.toString` and `Float.toString` digit by digit as JDK 17 computes them
//! (`jdk.internal.math.FloatingDecimal.BinaryToASCIIBuffer.dtoa`).
//!
//! JDK 17 does not print the shortest digits that read back to the same value, which is what
//! Rust's `{:e}` gives (and what JDK 19+ prints since JDK-4511638):
//! - a whole number below 2^63 prints every digit down to the type's precision
//!   (`Float.toString(1.7E12f)` is `1.70000004E12`, `(float) 219360192` is `2.19360192E8`);
//! - other values stop on a symmetric half-ULP test whose tie goes up
//!   (`Double.toString(1.0E23)` is `9.999999999999999E22`, `2.0E23` is `1.9999999999999998E23`).
//!
//! The oracle worker (and Kafka Connect 3.9 on its usual JDK 17) prints these, so Sluice does too.
//! The three arithmetic paths are kept apart because they differ on the edges: the `int` and
//! `long` paths wrap on overflow and test `b + m > 10·s`, the big-integer path tests `>=`.

use std::cmp::Ordering;

use num_bigint::BigUint;

/// Bits of the double's fraction (the hidden bit sits at bit 52).
const EXP_SHIFT: i32 = 52;

/// `N_5_BITS[i]`: about `ceil(log2(5^i))`, the size estimate the JDK uses to pick a path.
const N_5_BITS: [i32; 27] = [
    0, 3, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28, 31, 33, 35, 38, 40, 42, 45, 47, 49, 52, 54, 56,
    59, 61,
];

/// The decimal digits of a finite non-zero value and where the point goes (`0.d1d2… × 10^exp`).
pub(super) struct Digits {
    buf: [u8; 32],
    len: usize,
    /// `decExponent`: the value is `0.digits × 10^exp`.
    exp: i32,
}

impl Digits {
    fn new() -> Self {
        Self {
            buf: [0; 32],
            len: 0,
            exp: 0,
        }
    }

    fn push(&mut self, digit: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b'0' + digit;
            self.len += 1;
        }
    }

    fn digits(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// `roundup()`: adds one to the last digit; a carry out of `9…9` gives `10…0` (same count
    /// of digits) and a larger exponent.
    fn round_up(&mut self) {
        let mut i = self.len;
        while i > 0 {
            i -= 1;
            if self.buf[i] == b'9' {
                if i == 0 {
                    self.buf[0] = b'1';
                    self.exp += 1;
                    return;
                }
                self.buf[i] = b'0';
            } else {
                self.buf[i] += 1;
                return;
            }
        }
    }
}

/// The digits of a finite, non-zero double's magnitude.
pub(super) fn double_digits(v: f64) -> Digits {
    let bits = v.to_bits();
    let fraction = bits & ((1 << 52) - 1);
    let biased = ((bits >> 52) & 0x7FF) as i32;
    let (fract_bits, bin_exp, significant) = if biased == 0 {
        let leading = fraction.leading_zeros() as i32;
        let shift = leading - 11;
        (fraction << shift, 1 - shift, 64 - leading)
    } else {
        (fraction | (1 << 52), biased, 53)
    };
    dtoa(bin_exp - 1023, fract_bits, significant)
}

/// The digits of a finite, non-zero float's magnitude.
pub(super) fn float_digits(v: f32) -> Digits {
    let bits = v.to_bits();
    let fraction = bits & ((1 << 23) - 1);
    let biased = ((bits >> 23) & 0xFF) as i32;
    let (fract_bits, bin_exp, significant) = if biased == 0 {
        let leading = fraction.leading_zeros() as i32;
        let shift = leading - 8;
        (fraction << shift, 1 - shift, 32 - leading)
    } else {
        (fraction | (1 << 23), biased, 24)
    };
    dtoa(bin_exp - 127, u64::from(fract_bits) << 29, significant)
}

/// Appends `Double.toString`'s layout of `d` (sign excluded): plain for `10^-3 ≤ |v| < 10^7`,
/// else one digit, a point and `E<exp>`; at least one digit after the point.
pub(super) fn layout(out: &mut Vec<u8>, d: &Digits) {
    let digits = d.digits();
    let e = d.exp;
    if e > 0 && e < 8 {
        let int_len = digits.len().min(e as usize);
        out.extend_from_slice(&digits[..int_len]);
        if int_len < e as usize {
            out.resize(out.len() + (e as usize - int_len), b'0');
            out.extend_from_slice(b".0");
        } else {
            out.push(b'.');
            if int_len < digits.len() {
                out.extend_from_slice(&digits[int_len..]);
            } else {
                out.push(b'0');
            }
        }
    } else if e <= 0 && e > -3 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-e) as usize, b'0');
        out.extend_from_slice(digits);
    } else {
        let (first, rest) = digits.split_first().unwrap_or((&b'0', &[]));
        out.push(*first);
        out.push(b'.');
        if rest.is_empty() {
            out.push(b'0');
        } else {
            out.extend_from_slice(rest);
        }
        out.push(b'E');
        let exp = e - 1;
        out.extend_from_slice(exp.to_string().as_bytes());
    }
}

/// `dtoa(binExp, fractBits, nSignificantBits, true)`: `fract_bits` is normalised with its high
/// bit at bit 52, the value being `fract_bits × 2^(bin_exp - 52)`.
fn dtoa(bin_exp: i32, fract_bits: u64, significant: i32) -> Digits {
    let tail_zeros = fract_bits.trailing_zeros() as i32;
    let n_fract_bits = EXP_SHIFT + 1 - tail_zeros;
    let n_tiny_bits = (n_fract_bits - bin_exp - 1).max(0);
    // Whole numbers that fit a long: every digit, less those below the type's precision.
    if (-21..=62).contains(&bin_exp) && n_tiny_bits == 0 {
        let insignificant = if bin_exp > significant {
            insignificant_digits_for_pow2(bin_exp - significant - 1)
        } else {
            0
        };
        let whole = if bin_exp >= EXP_SHIFT {
            fract_bits << (bin_exp - EXP_SHIFT)
        } else {
            fract_bits >> (EXP_SHIFT - bin_exp)
        };
        return long_digits(whole, insignificant);
    }
    let mut dec_exp = estimate_dec_exp(fract_bits, bin_exp);
    let b5 = (-dec_exp).max(0);
    let mut b2 = b5 + n_tiny_bits + bin_exp;
    let s5 = dec_exp.max(0);
    let mut s2 = s5 + n_tiny_bits;
    let m5 = b5;
    let mut m2 = b2 - significant;
    let fract = fract_bits >> tail_zeros;
    b2 -= n_fract_bits - 1;
    let common = b2.min(s2);
    b2 -= common;
    s2 -= common;
    m2 -= common;
    // At a power of two the next value down is only half as far away.
    if n_fract_bits == 1 {
        m2 -= 1;
    }
    if m2 < 0 {
        b2 -= m2;
        s2 -= m2;
        m2 = 0;
    }
    let n5 = |p: i32| N_5_BITS.get(p as usize).copied().unwrap_or(p * 3);
    let b_bits = n_fract_bits + b2 + n5(b5);
    let ten_s_bits = s2 + 1 + n5(s5 + 1);
    let p = Powers {
        fract,
        b5: b5 as u32,
        b2: b2 as u32,
        s5: s5 as u32,
        s2: s2 as u32,
        m5: m5 as u32,
        m2: m2 as u32,
    };
    let mut d = Digits::new();
    let outcome = if b_bits < 32 && ten_s_bits < 32 {
        small_i32(&p, &mut d, &mut dec_exp)
    } else if b_bits < 64 && ten_s_bits < 64 {
        small_i64(&p, &mut d, &mut dec_exp)
    } else {
        big(&p, &mut d, &mut dec_exp)
    };
    d.exp = dec_exp + 1;
    // The last digit rounds up when only the upper bound was reached, or both were and the
    // remainder is past half (a tie goes to an even digit).
    let (low, high, diff) = outcome;
    let round_up = high
        && (!low
            || diff == Ordering::Greater
            || (diff == Ordering::Equal && d.digits().last().is_some_and(|c| c & 1 == 1)));
    if round_up {
        d.round_up();
    }
    d
}

/// `B = fract·5^b5·2^b2`, `S = 5^s5·2^s2`, `M = 5^m5·2^m2` (half an ULP, scaled like `B`).
struct Powers {
    fract: u64,
    b5: u32,
    b2: u32,
    s5: u32,
    s2: u32,
    m5: u32,
    m2: u32,
}

/// `developLongDigits(0, whole, insignificant)`: drops `insignificant` low digits rounding half
/// up, then trailing zeros.
fn long_digits(whole: u64, insignificant: i32) -> Digits {
    let mut value = whole;
    let mut exp = 0;
    if insignificant > 0 {
        let pow10 = 10u64.pow(insignificant as u32);
        let residue = value % pow10;
        value /= pow10;
        exp += insignificant;
        if residue >= pow10 / 2 {
            value += 1;
        }
    }
    let mut d = Digits::new();
    let text = value.to_string();
    d.exp = exp + text.len() as i32;
    for c in text.trim_end_matches('0').bytes() {
        d.push(c - b'0');
    }
    d
}

/// `insignificantDigitsForPow2(p)`: how many times `2^p` divides by 10 while at least 10.
fn insignificant_digits_for_pow2(p: i32) -> i32 {
    if p > 1 && p < 64 {
        (1u64 << p).ilog10() as i32
    } else {
        0
    }
}

/// `estimateDecExp`: `floor(log10(v))`, estimated from the binary form (may be one too high).
#[expect(
    clippy::approx_constant,
    reason = "the JDK's literal 0.301029995663981 is not LOG10_2, and the estimate must match it"
)]
fn estimate_dec_exp(fract_bits: u64, bin_exp: i32) -> i32 {
    let d2 = f64::from_bits((1023u64 << 52) | (fract_bits & ((1 << 52) - 1)));
    let d = (d2 - 1.5) * 0.289529654 + 0.176091259 + f64::from(bin_exp) * 0.301029995663981;
    d.floor() as i32
}

/// Stops the digit loop early when the layout will be scientific, which always shows a second
/// digit (`isCompatibleFormat` in the JDK).
fn scientific(dec_exp: i32) -> bool {
    !(-3..8).contains(&dec_exp)
}

macro_rules! small_path {
    ($name:ident, $t:ty) => {
        /// The JDK's fixed-width path: Java's wrapping arithmetic, and `m` that overflows
        /// ends the loop.
        fn $name(p: &Powers, d: &mut Digits, dec_exp: &mut i32) -> (bool, bool, Ordering) {
            let pow5 = |e: u32| (5 as $t).wrapping_pow(e);
            let mut b = (p.fract as $t).wrapping_mul(pow5(p.b5)).wrapping_shl(p.b2);
            let s = pow5(p.s5).wrapping_shl(p.s2);
            let mut m = pow5(p.m5).wrapping_shl(p.m2);
            let tens = s.wrapping_mul(10);
            if s <= 0 {
                // Unreachable by the size checks that chose this path; never divide by zero.
                return (false, false, Ordering::Equal);
            }
            let mut q = b / s;
            b = (b % s).wrapping_mul(10);
            m = m.wrapping_mul(10);
            let mut low = b < m;
            let mut high = b.wrapping_add(m) > tens;
            if q == 0 && !high {
                *dec_exp -= 1;
            } else {
                d.push(q as u8);
            }
            if scientific(*dec_exp) {
                low = false;
                high = false;
            }
            while !low && !high {
                q = b / s;
                b = (b % s).wrapping_mul(10);
                m = m.wrapping_mul(10);
                if m > 0 {
                    low = b < m;
                    high = b.wrapping_add(m) > tens;
                } else {
                    low = true;
                    high = true;
                }
                d.push(q as u8);
            }
            let diff = b.wrapping_shl(1).wrapping_sub(tens);
            (low, high, diff.cmp(&0))
        }
    };
}

small_path!(small_i32, i32);
small_path!(small_i64, i64);

/// Exact unsigned arithmetic for the JDK's `FDBigInteger` path.
trait Exact: Sized + Ord {
    fn pow52(fract: u64, p5: u32, p2: u32) -> Option<Self>;
    /// `quoRemIteration`: returns `self / s` and leaves `10 × (self mod s)`.
    fn quo_rem_10(&mut self, s: &Self) -> u8;
    fn times_10(&mut self);
    fn plus(&self, other: &Self) -> Self;
    fn twice(&self) -> Self;
}

impl Exact for u128 {
    fn pow52(fract: u64, p5: u32, p2: u32) -> Option<Self> {
        let v = u128::from(fract).checked_mul(5u128.checked_pow(p5)?)?;
        // Headroom of 5 bits: `m` may reach 10·(10·s) and `b + m` must not overflow.
        (v.leading_zeros() >= p2 + 5).then(|| v << p2)
    }
    fn quo_rem_10(&mut self, s: &Self) -> u8 {
        let q = *self / *s;
        *self = (*self % *s) * 10;
        q as u8
    }
    fn times_10(&mut self) {
        *self *= 10;
    }
    fn plus(&self, other: &Self) -> Self {
        self + other
    }
    fn twice(&self) -> Self {
        self << 1
    }
}

impl Exact for BigUint {
    fn pow52(fract: u64, p5: u32, p2: u32) -> Option<Self> {
        Some((BigUint::from(fract) * BigUint::from(5u8).pow(p5)) << p2)
    }
    fn quo_rem_10(&mut self, s: &Self) -> u8 {
        let q = &*self / s;
        *self = (&*self % s) * 10u8;
        q.to_u32_digits().first().copied().unwrap_or(0) as u8
    }
    fn times_10(&mut self) {
        *self *= 10u8;
    }
    fn plus(&self, other: &Self) -> Self {
        self + other
    }
    fn twice(&self) -> Self {
        self << 1
    }
}

fn big(p: &Powers, d: &mut Digits, dec_exp: &mut i32) -> (bool, bool, Ordering) {
    // `m` grows to at most 100·s before the loop ends, so 7 bits of headroom over 10·s suffice.
    let fits = <u128 as Exact>::pow52(1, p.s5 + 1, p.s2 + 1 + 7)
        .and_then(|_| <u128 as Exact>::pow52(p.fract, p.b5, p.b2))
        .and_then(|_| <u128 as Exact>::pow52(1, p.m5 + 1, p.m2 + 1));
    match fits {
        Some(_) => big_with::<u128>(p, d, dec_exp),
        None => big_with::<BigUint>(p, d, dec_exp),
    }
}

fn big_with<T: Exact>(p: &Powers, d: &mut Digits, dec_exp: &mut i32) -> (bool, bool, Ordering) {
    let (Some(s), Some(mut b), Some(mut m), Some(ten_s)) = (
        T::pow52(1, p.s5, p.s2),
        T::pow52(p.fract, p.b5, p.b2),
        T::pow52(1, p.m5 + 1, p.m2 + 1),
        T::pow52(1, p.s5 + 1, p.s2 + 1),
    ) else {
        return (false, false, Ordering::Equal);
    };
    let mut q = b.quo_rem_10(&s);
    let mut low = b < m;
    let mut high = b.plus(&m) >= ten_s;
    if q == 0 && !high {
        *dec_exp -= 1;
    } else {
        d.push(q);
    }
    if scientific(*dec_exp) {
        low = false;
        high = false;
    }
    while !low && !high {
        q = b.quo_rem_10(&s);
        m.times_10();
        low = b < m;
        high = b.plus(&m) >= ten_s;
        d.push(q);
    }
    let diff = if high && low {
        b.twice().cmp(&ten_s)
    } else {
        Ordering::Equal
    };
    (low, high, diff)
}

//! Kafka's sampled statistics (`SampledStat`): values recorded into a few time windows, read as
//! an average, a maximum or a rate over the windows not yet expired.

use std::time::{Duration, Instant};

/// `metrics.sample.window.ms` default.
pub(crate) const SAMPLE_WINDOW: Duration = Duration::from_secs(30);
/// `metrics.num.samples` default.
const SAMPLES: usize = 2;

#[derive(Debug, Clone, Copy)]
struct Sample {
    start: Instant,
    count: u64,
    sum: f64,
    max: f64,
}

impl Sample {
    fn fresh(start: Instant) -> Self {
        Self {
            start,
            count: 0,
            sum: 0.0,
            max: f64::NEG_INFINITY,
        }
    }
}

/// Two 30 s samples, as a Kafka `Sensor` with the default metric config keeps.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    samples: [Sample; SAMPLES],
    current: usize,
    /// When the stat was created: a rate's elapsed time never starts before it.
    created: Instant,
}

impl Window {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            samples: [Sample::fresh(now); SAMPLES],
            current: 0,
            created: now,
        }
    }

    /// Records one value (`Sensor.record`).
    pub(crate) fn record(&mut self, now: Instant, value: f64) {
        if now.saturating_duration_since(self.samples[self.current].start) >= SAMPLE_WINDOW {
            self.current = (self.current + 1) % SAMPLES;
            self.samples[self.current] = Sample::fresh(now);
        }
        let s = &mut self.samples[self.current];
        s.count += 1;
        s.sum += value;
        s.max = s.max.max(value);
    }

    /// Samples not older than `SAMPLES` windows (`purgeObsoleteSamples`).
    fn live(&self, now: Instant) -> impl Iterator<Item = &Sample> {
        let horizon = SAMPLE_WINDOW * u32::try_from(SAMPLES).unwrap_or(2);
        self.samples
            .iter()
            .filter(move |s| s.count > 0 && now.saturating_duration_since(s.start) < horizon)
    }

    /// `Avg`: NaN without samples, as Kafka reports it.
    pub(crate) fn avg(&self, now: Instant) -> f64 {
        let (count, sum) = self
            .live(now)
            .fold((0u64, 0.0), |(c, s), x| (c + x.count, s + x.sum));
        if count == 0 {
            f64::NAN
        } else {
            sum / count as f64
        }
    }

    /// `Max`: NaN without samples.
    pub(crate) fn max(&self, now: Instant) -> f64 {
        self.live(now)
            .map(|s| s.max)
            .fold(f64::NAN, |acc, m| if acc.is_nan() { m } else { acc.max(m) })
    }

    /// `Rate` of the recorded values' sum per second. As Kafka's `Rate.windowSize`, the
    /// elapsed time is at least `SAMPLES - 1` full windows, so a young stat is not inflated.
    pub(crate) fn rate(&self, now: Instant) -> f64 {
        // `+ 0.0`: an empty `f64` sum is `-0.0`, which would render as `-0`.
        let sum: f64 = self.live(now).map(|s| s.sum).sum::<f64>() + 0.0;
        let oldest = self
            .live(now)
            .map(|s| s.start)
            .min()
            .unwrap_or(now)
            .max(self.created);
        let min = SAMPLE_WINDOW * u32::try_from(SAMPLES - 1).unwrap_or(1);
        let elapsed = now.saturating_duration_since(oldest).max(min);
        sum / elapsed.as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_window_reads_as_nan_like_kafkas_avg_and_max() {
        let now = Instant::now();
        let w = Window::new(now);
        assert!(w.avg(now).is_nan());
        assert!(w.max(now).is_nan());
        assert_eq!(w.rate(now).to_bits(), 0.0f64.to_bits(), "+0, not -0");
    }

    #[test]
    fn avg_and_max_cover_the_live_samples_and_forget_expired_ones() {
        let t0 = Instant::now();
        let mut w = Window::new(t0);
        w.record(t0, 10.0);
        w.record(t0 + Duration::from_secs(1), 30.0);
        assert_eq!(w.avg(t0 + Duration::from_secs(2)), 20.0);
        assert_eq!(w.max(t0 + Duration::from_secs(2)), 30.0);
        w.record(t0 + Duration::from_secs(31), 2.0);
        assert_eq!(w.avg(t0 + Duration::from_secs(32)), 14.0);
        // Both samples are past two windows: nothing left.
        assert!(w.avg(t0 + Duration::from_secs(200)).is_nan());
    }

    #[test]
    fn a_young_rate_divides_by_at_least_one_full_window() {
        let t0 = Instant::now();
        let mut w = Window::new(t0);
        w.record(t0, 300.0);
        assert_eq!(w.rate(t0 + Duration::from_secs(1)), 10.0);
        w.record(t0 + Duration::from_secs(45), 300.0);
        assert_eq!(w.rate(t0 + Duration::from_secs(50)), 12.0);
    }
}

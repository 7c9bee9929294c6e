//! A key's figures as running totals by day: the total of every day up to each one, from its
//! first day to its last. A range's sum is the difference of two of them, so a report costs
//! one subtraction per key whatever the length of its range; a day's own figures are the
//! difference of two neighbours. Figures arrive mostly for the newest day (an append);
//! one for an older day adds to every total after it.

use crate::domain::{Counters, Day};

#[derive(Debug, Clone, Default)]
pub struct Running {
    first: Option<Day>,
    /// `totals[i]`: the sum of the days `first ..= first + i`.
    totals: Vec<Counters>,
}

impl Running {
    fn last(&self) -> Option<Day> {
        self.first.map(|f| f.plus(i32::try_from(self.totals.len()).unwrap_or(i32::MAX) - 1))
    }

    /// Adds `c` to `day`.
    pub fn add(&mut self, day: Day, c: &Counters) {
        let (Some(first), Some(last)) = (self.first, self.last()) else {
            self.first = Some(day);
            self.totals = vec![*c];
            return;
        };
        if day < first {
            // Days before the first: each total so far holds only `c`.
            let before = usize::try_from(first.0 - day.0).unwrap_or(0);
            let mut totals = vec![*c; before];
            totals.extend(self.totals.iter().map(|t| t.plus(c)));
            self.totals = totals;
            self.first = Some(day);
            return;
        }
        if day > last {
            let latest = self.totals.last().copied().unwrap_or_default();
            let gap = usize::try_from(day.0 - last.0 - 1).unwrap_or(0);
            self.totals.extend(std::iter::repeat_n(latest, gap));
            self.totals.push(latest.plus(c));
            return;
        }
        let from = usize::try_from(day.0 - first.0).unwrap_or(0);
        self.totals[from..].iter_mut().for_each(|t| t.add(c));
    }

    /// The sum of every day up to `day`.
    fn upto(&self, day: Day) -> Counters {
        match self.first {
            Some(first) if day >= first => {
                let i = usize::try_from(day.0 - first.0).unwrap_or(0).min(self.totals.len() - 1);
                self.totals[i]
            }
            _ => Counters::default(),
        }
    }

    /// The sum of `from ..= to`; none when no figures fall in it.
    pub fn sum(&self, from: Day, to: Day) -> Option<Counters> {
        let (first, last) = (self.first?, self.last()?);
        if to < first || from > last {
            return None;
        }
        let sum = self.upto(to).minus(&self.upto(from.plus(-1)));
        (sum != Counters::default()).then_some(sum)
    }

    /// Each day of `from ..= to` with figures, oldest first.
    pub fn days(&self, from: Day, to: Day) -> Vec<(Day, Counters)> {
        let (Some(first), Some(last)) = (self.first, self.last()) else { return Vec::new() };
        let (from, to) = (from.max(first), to.min(last));
        let mut days = Vec::new();
        let mut before = self.upto(from.plus(-1));
        let mut day = from;
        while day <= to {
            let upto = self.upto(day);
            let own = upto.minus(&before);
            if own != Counters::default() {
                days.push((day, own));
            }
            before = upto;
            day = day.plus(1);
        }
        days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(orders: i64) -> Counters {
        Counters { orders, gross: orders * 100, ..Counters::default() }
    }

    #[test]
    fn sums_and_days_read_back_whatever_order_figures_came_in() {
        let mut r = Running::default();
        for (day, n) in [(10, 1), (12, 2), (8, 4), (12, 8), (11, 16), (20, 32)] {
            r.add(Day(day), &c(n));
        }
        assert_eq!(r.sum(Day(0), Day(100)), Some(c(63)));
        assert_eq!(r.sum(Day(9), Day(12)), Some(c(27)));
        assert_eq!(r.sum(Day(13), Day(19)), None, "no figures between");
        assert_eq!(r.sum(Day(21), Day(30)), None);
        assert_eq!(r.sum(Day(0), Day(7)), None);
        assert_eq!(
            r.days(Day(0), Day(100)),
            [(Day(8), c(4)), (Day(10), c(1)), (Day(11), c(16)), (Day(12), c(10)), (Day(20), c(32))]
        );
        assert_eq!(r.days(Day(11), Day(11)), [(Day(11), c(16))]);
    }
}

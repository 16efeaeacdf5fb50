//! Rebuilding a 2×2 table from the metrics a paper reports (METHODS §11).
//!
//! # Procedure (METHODS §11, [DERIVED])
//! 1. Real-valued solution from the algebra of §11's table; round TP and TN (or the case's free
//!    cells) to integers within the margins.
//! 2. Consistency search: enumerate the integer tables with the reported integer margins and keep
//!    those whose implied metrics reproduce **every** reported metric when rounded half-up to the
//!    reported number of decimals (0.87 ⇒ [0.865, 0.875); 87 % ⇒ the same). The check is done in
//!    exact integer arithmetic, so boundary cases (173/200 = 0.865) are decided correctly.
//! 3. One table fits ⇒ [`Status::Exact`]; several ⇒ the one minimising Σ(implied − reported)²,
//!    [`Status::NonUnique`]; none ⇒ step 1's table, [`Status::Inconsistent`] naming the metric
//!    that misses most.
//! 4. [`Reconstruction::derivation`] records which metrics were used.

use super::error::{DataError, DataErrorKind as K};
use super::Study;

/// A metric as printed in a paper: its value and how many decimals it was rounded to.
///
/// Percentages are stored as proportions with two more decimals (`87.5 %` = 0.875 at 3 decimals)
/// and remember that they were typed as percentages (for display).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rounded {
    /// The value as a proportion (or ratio, for likelihood ratios).
    pub value: f64,
    /// Decimals of `value` as reported (proportion scale).
    pub decimals: u32,
    /// Typed as a percentage.
    pub percent: bool,
}

/// At most this many decimals are accepted.
pub const MAX_DECIMALS: u32 = 12;

impl Rounded {
    /// `value` reported with `decimals` decimals (e.g. `Rounded::new(0.87, 2)`).
    pub fn new(value: f64, decimals: u32) -> Self {
        Rounded { value, decimals: decimals.min(MAX_DECIMALS), percent: false }
    }
    /// A percentage with `decimals` decimals: `Rounded::percent(87.5, 1)` = 0.875 at 3 decimals.
    pub fn percent(value_percent: f64, decimals: u32) -> Self {
        Rounded { value: value_percent / 100.0, decimals: (decimals + 2).min(MAX_DECIMALS), percent: true }
    }
    /// Read a number as typed: `0.87` (2 decimals), `87%`, `87.5 %`, `0,87` (decimal comma).
    ///
    /// # Errors
    /// [`K::BadMetric`] when the text is not a plain decimal number or has more than
    /// [`MAX_DECIMALS`] decimals.
    pub fn parse(text: &str) -> Result<Self, DataError> {
        let t = text.trim();
        let bad = || DataError::error(K::BadMetric, format!("\"{t}\" is not a number"));
        let (body, percent) = match t.strip_suffix('%') {
            Some(b) => (b.trim(), true),
            None => (t, false),
        };
        let body = body.replace(',', ".");
        let digits = body.strip_prefix(['+', '-']).unwrap_or(&body);
        if digits.is_empty()
            || !digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            || digits.matches('.').count() > 1
            || !digits.chars().any(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let decimals = digits.split_once('.').map_or(0, |(_, f)| f.len()) as u32;
        let value: f64 = body.parse().map_err(|_| bad())?;
        let max = if percent { MAX_DECIMALS - 2 } else { MAX_DECIMALS };
        if decimals > max {
            return Err(DataError::error(K::BadMetric, format!("\"{t}\" has more than {max} decimals")));
        }
        Ok(if percent { Rounded::percent(value, decimals) } else { Rounded::new(value, decimals) })
    }
    /// `value · 10^decimals` as an integer (the printed digits).
    fn scaled(&self) -> i128 {
        (self.value * 10f64.powi(self.d() as i32)).round() as i128
    }
    fn d(&self) -> u32 {
        self.decimals.min(MAX_DECIMALS)
    }
    /// The real interval that rounds to this value: `[value − ½·10^−d, value + ½·10^−d)`.
    pub fn interval(&self) -> (f64, f64) {
        let p = 10f64.powi(self.d() as i32);
        let x = self.scaled() as f64;
        ((x - 0.5) / p, (x + 0.5) / p)
    }
    /// Whether the fraction `num/den` rounds (half up) to this value. Exact integer arithmetic.
    pub fn matches(&self, num: i128, den: i128) -> bool {
        if den <= 0 || num < 0 {
            return false;
        }
        let x = self.scaled();
        let p = 10i128.pow(self.d());
        let two_x = x.checked_mul(2);
        let (Some(lo), Some(mid), Some(hi)) = (
            two_x.and_then(|v| v.checked_sub(1)).and_then(|v| v.checked_mul(den)),
            (2 * p).checked_mul(num),
            two_x.and_then(|v| v.checked_add(1)).and_then(|v| v.checked_mul(den)),
        ) else {
            return false;
        };
        lo <= mid && mid < hi
    }
}

impl std::fmt::Display for Rounded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.percent {
            write!(f, "{:.*}%", self.decimals.saturating_sub(2) as usize, self.value * 100.0)
        } else {
            write!(f, "{:.*}", self.decimals as usize, self.value)
        }
    }
}

/// The combinations of reported quantities that identify a 2×2 table (METHODS §11).
/// `n_pos` = n1 (reference positive), `n_neg` = n0, `total` = N.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reported {
    SensSpecCounts { sens: Rounded, spec: Rounded, n_pos: u64, n_neg: u64 },
    SensSpecTotalPrev { sens: Rounded, spec: Rounded, total: u64, prevalence: Rounded },
    SensSpecPpvTotal { sens: Rounded, spec: Rounded, ppv: Rounded, total: u64 },
    SensSpecNpvTotal { sens: Rounded, spec: Rounded, npv: Rounded, total: u64 },
    AccuracySensCounts { accuracy: Rounded, sens: Rounded, n_pos: u64, n_neg: u64 },
    AccuracySpecCounts { accuracy: Rounded, spec: Rounded, n_pos: u64, n_neg: u64 },
    F1SensCounts { f1: Rounded, sens: Rounded, n_pos: u64, n_neg: u64 },
    F1PpvCounts { f1: Rounded, ppv: Rounded, n_pos: u64, n_neg: u64 },
    SensPpvNposTotal { sens: Rounded, ppv: Rounded, n_pos: u64, total: u64 },
    LrCounts { lr_pos: Rounded, lr_neg: Rounded, n_pos: u64, n_neg: u64 },
}

/// A metric implied by a 2×2 table (METHODS §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Sens,
    Spec,
    Ppv,
    Npv,
    Prevalence,
    Accuracy,
    F1,
    LrPos,
    LrNeg,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Sens => "Se",
            Metric::Spec => "Sp",
            Metric::Ppv => "PPV",
            Metric::Npv => "NPV",
            Metric::Prevalence => "prevalence",
            Metric::Accuracy => "accuracy",
            Metric::F1 => "F1",
            Metric::LrPos => "LR+",
            Metric::LrNeg => "LR−",
        }
    }
    /// The metric of `t` as a fraction `(num, den)`; `den = 0` when undefined.
    pub fn fraction(self, t: &Study) -> (i128, i128) {
        let (tp, fp, fn_, tn) = (t.tp as i128, t.fp as i128, t.fn_ as i128, t.tn as i128);
        let (n1, n0) = (tp + fn_, fp + tn);
        match self {
            Metric::Sens => (tp, n1),
            Metric::Spec => (tn, n0),
            Metric::Ppv => (tp, tp + fp),
            Metric::Npv => (tn, tn + fn_),
            Metric::Prevalence => (n1, n1 + n0),
            Metric::Accuracy => (tp + tn, n1 + n0),
            Metric::F1 => (2 * tp, 2 * tp + fp + fn_),
            Metric::LrPos => (tp * n0, fp * n1),
            Metric::LrNeg => (fn_ * n0, tn * n1),
        }
    }
    /// The metric of `t` as a real (`NaN` when undefined).
    pub fn value(self, t: &Study) -> f64 {
        let (n, d) = self.fraction(t);
        if d == 0 {
            f64::NAN
        } else {
            n as f64 / d as f64
        }
    }
}

/// How well the reported metrics pin the table down.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Status {
    /// Exactly one integer table reproduces every reported metric.
    Exact,
    /// Several do (`n_tables`); the closest in least squares was chosen.
    NonUnique { n_tables: usize },
    /// None does; step 1's rounded table is kept. `metric` misses most, by `by` (implied − reported).
    Inconsistent { metric: String, by: f64 },
}

/// A rebuilt table with its provenance.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reconstruction {
    /// The table (label `"reconstructed"`; [`reconstruct_from_text`] takes `label=`).
    pub study: Study,
    /// E.g. `from Se 0.87, Sp 0.80, n+ 45, n− 120`.
    pub derivation: String,
    pub status: Status,
    /// Largest |implied − reported| over the reported metrics for the chosen table.
    pub max_abs_deviation: f64,
}

/// Largest number of candidate tables examined.
pub const SEARCH_BUDGET: u64 = 20_000_000;

fn not_identifiable(msg: impl Into<String>) -> DataError {
    DataError::error(K::NotIdentifiable, msg)
}

/// Integer candidates for a cell whose real value lies in `[lo, hi]`, widened by one on each side
/// against floating-point error and clamped to `[min, max]`. Non-finite bounds mean "no limit".
fn span(lo: f64, hi: f64, min: u64, max: u64) -> std::ops::RangeInclusive<u64> {
    let start = if lo.is_finite() { (lo.floor() - 1.0).max(min as f64) as u64 } else { min };
    let end = if hi.is_finite() { (hi.ceil() + 1.0).min(max as f64).max(0.0) as u64 } else { max };
    start.max(min)..=end.min(max)
}

/// Cells from the count interval of `m` times `n` (e.g. TP from Se and n1).
fn span_times(m: &Rounded, n: u64, max: u64) -> std::ops::RangeInclusive<u64> {
    let (lo, hi) = m.interval();
    span(lo * n as f64, hi * n as f64, 0, max)
}

/// FP from PPV given TP: `FP = TP(1−PPV)/PPV` (also FN from NPV given TN).
fn span_other_from_pv(pv: &Rounded, cell: u64, max: u64) -> std::ops::RangeInclusive<u64> {
    let (lo, hi) = pv.interval();
    let c = cell as f64;
    let low = if hi > 0.0 { c * (1.0 - hi.min(1.0)) / hi } else { 0.0 };
    let high = if lo > 0.0 { c * (1.0 - lo) / lo } else { f64::INFINITY };
    span(low, high, 0, max)
}

fn round_clamp(x: f64, max: u64) -> u64 {
    if !x.is_finite() || x <= 0.0 {
        0
    } else {
        (x.round() as u64).min(max)
    }
}

/// The metric's name in words, for messages ("Se" → "sensitivity").
fn metric_words(name: &str) -> &str {
    match name {
        "Se" => "sensitivity",
        "Sp" => "specificity",
        "PPV" => "the positive predictive value",
        "NPV" => "the negative predictive value",
        "acc" | "accuracy" => "accuracy",
        "prev" | "prevalence" => "prevalence",
        _ => name,
    }
}

fn check_proportion(name: &str, m: &Rounded) -> Result<(), DataError> {
    if !(m.value.is_finite() && (0.0..=1.0).contains(&m.value)) {
        return Err(DataError::error(
            K::BadMetric,
            format!(
                "{} must lie between 0 and 1 ({name} = {m} was given{})",
                metric_words(name),
                if m.value > 1.0 && m.value <= 100.0 {
                    "; write a percentage as a proportion, e.g. 0.87"
                } else {
                    ""
                }
            ),
        )
        .in_column(name.to_string()));
    }
    Ok(())
}

struct Search<'a> {
    metrics: &'a [(Metric, Rounded)],
    visited: u64,
    n_found: usize,
    best: Option<(f64, Study)>,
}

impl Search<'_> {
    /// Count one step of an outer loop against the budget.
    fn tick(&mut self) -> Result<(), DataError> {
        self.visited += 1;
        if self.visited > SEARCH_BUDGET {
            return Err(DataError::error(
                K::SearchTooLarge,
                "the consistency search is too large (more than 20 million tables); report more decimals or the \
                 group sizes",
            ));
        }
        Ok(())
    }
    /// Examine one table; remember it when it reproduces every reported metric.
    fn visit(&mut self, tp: u64, fp: u64, fn_: u64, tn: u64) -> Result<(), DataError> {
        self.tick()?;
        let t = Study::new("", tp, fp, fn_, tn);
        if self.metrics.iter().all(|(m, r)| {
            let (n, d) = m.fraction(&t);
            r.matches(n, d)
        }) {
            self.n_found += 1;
            let ss: f64 = self.metrics.iter().map(|(m, r)| (m.value(&t) - r.value).powi(2)).sum();
            if self.best.as_ref().is_none_or(|(b, _)| ss < *b) {
                self.best = Some((ss, t));
            }
        }
        Ok(())
    }
}

/// §11 step 1 for a prevalence `pi` and total `N`: `n1 = round(π·N)`, then `TP = round(Se·n1)`,
/// `TN = round(Sp·n0)`, the other cells from the margins.
fn rounded_from_prevalence(pi: f64, total: u64, se: f64, sp: f64) -> Study {
    let n1 = round_clamp(pi * total as f64, total);
    let n0 = total - n1;
    let tp = round_clamp(se * n1 as f64, n1);
    let tn = round_clamp(sp * n0 as f64, n0);
    Study::new("reconstructed", tp, n0 - tn, n1 - tp, tn)
}

/// A group size that must be at least 1.
fn positive(name: &str, n: u64) -> Result<(), DataError> {
    if n == 0 {
        Err(DataError::error(K::BadMetric, format!("{name} must be at least 1")).in_column(name.to_string()))
    } else {
        Ok(())
    }
}

/// What one case's search found: the §11 step-1 guess and the consistent tables.
struct Found {
    initial: Study,
    n_found: usize,
    best: Option<Study>,
}

impl Found {
    /// The same result with diseased and non-diseased swapped back ([`Study::swapped_roles`]).
    fn swapped(self) -> Found {
        Found {
            initial: self.initial.swapped_roles(),
            n_found: self.n_found,
            best: self.best.map(|t| t.swapped_roles()),
        }
    }
}

/// The reported metrics of a combination, in the order the search compares them.
fn metrics_of(reported: &Reported) -> Vec<(Metric, Rounded)> {
    use Metric as M;
    use Reported as R;
    match *reported {
        R::SensSpecCounts { sens, spec, .. } => vec![(M::Sens, sens), (M::Spec, spec)],
        R::SensSpecTotalPrev { sens, spec, prevalence, .. } => {
            vec![(M::Sens, sens), (M::Spec, spec), (M::Prevalence, prevalence)]
        }
        R::SensSpecPpvTotal { sens, spec, ppv, .. } => vec![(M::Sens, sens), (M::Spec, spec), (M::Ppv, ppv)],
        R::SensSpecNpvTotal { sens, spec, npv, .. } => vec![(M::Sens, sens), (M::Spec, spec), (M::Npv, npv)],
        R::AccuracySensCounts { accuracy, sens, .. } => vec![(M::Accuracy, accuracy), (M::Sens, sens)],
        R::AccuracySpecCounts { accuracy, spec, .. } => vec![(M::Accuracy, accuracy), (M::Spec, spec)],
        R::F1SensCounts { f1, sens, .. } => vec![(M::F1, f1), (M::Sens, sens)],
        R::F1PpvCounts { f1, ppv, .. } => vec![(M::F1, f1), (M::Ppv, ppv)],
        R::SensPpvNposTotal { sens, ppv, .. } => vec![(M::Sens, sens), (M::Ppv, ppv)],
        R::LrCounts { lr_pos, lr_neg, .. } => vec![(M::LrPos, lr_pos), (M::LrNeg, lr_neg)],
    }
}

/// How the table was derived, for the report.
fn derivation_of(reported: &Reported) -> String {
    use Reported as R;
    match *reported {
        R::SensSpecCounts { sens, spec, n_pos, n_neg } => {
            format!("from Se {sens}, Sp {spec}, n+ {n_pos}, n− {n_neg}")
        }
        R::SensSpecTotalPrev { sens, spec, total, prevalence } => {
            format!("from Se {sens}, Sp {spec}, N {total}, prevalence {prevalence}")
        }
        R::SensSpecPpvTotal { sens, spec, ppv, total } => {
            format!("from Se {sens}, Sp {spec}, PPV {ppv}, N {total}")
        }
        R::AccuracySensCounts { accuracy, sens, n_pos, n_neg } => {
            format!("from accuracy {accuracy}, Se {sens}, n+ {n_pos}, n− {n_neg}")
        }
        R::F1SensCounts { f1, sens, n_pos, n_neg } => {
            format!("from F1 {f1}, Se {sens}, n+ {n_pos}, n− {n_neg}")
        }
        R::F1PpvCounts { f1, ppv, n_pos, n_neg } => {
            format!("from F1 {f1}, PPV {ppv}, n+ {n_pos}, n− {n_neg}")
        }
        R::SensPpvNposTotal { sens, ppv, n_pos, total } => {
            format!("from Se {sens}, PPV {ppv}, n+ {n_pos}, N {total}")
        }
        R::LrCounts { lr_pos, lr_neg, n_pos, n_neg } => {
            format!("from LR+ {lr_pos}, LR− {lr_neg}, n+ {n_pos}, n− {n_neg}")
        }
        R::SensSpecNpvTotal { sens, spec, npv, total } => {
            format!("from Se {sens}, Sp {spec}, NPV {npv}, N {total}")
        }
        R::AccuracySpecCounts { accuracy, spec, n_pos, n_neg } => {
            format!("from accuracy {accuracy}, Sp {spec}, n+ {n_pos}, n− {n_neg}")
        }
    }
}

/// One function per combination; the mirrored ones (NPV for PPV, accuracy with Sp for accuracy with
/// Se) solve the role-swapped problem ([`Study::swapped_roles`]: Se ↔ Sp, PPV ↔ NPV, n+ ↔ n−).
fn solve(reported: &Reported) -> Result<Found, DataError> {
    use Reported as R;
    match *reported {
        R::SensSpecCounts { sens, spec, n_pos, n_neg } => sens_spec_counts(sens, spec, n_pos, n_neg),
        R::SensSpecTotalPrev { sens, spec, total, prevalence } => sens_spec_total_prev(sens, spec, total, prevalence),
        R::SensSpecPpvTotal { sens, spec, ppv, total } => sens_spec_ppv_total(
            sens,
            spec,
            ppv,
            total,
            "with Sp = 1 (so PPV = 1) the prevalence cannot be recovered from PPV; report n+ or the prevalence",
        ),
        R::SensSpecNpvTotal { sens, spec, npv, total } => sens_spec_ppv_total(
            spec,
            sens,
            npv,
            total,
            "with Se = 1 (so NPV = 1) the prevalence cannot be recovered from NPV; report n+ or the prevalence",
        )
        .map(Found::swapped),
        R::AccuracySensCounts { accuracy, sens, n_pos, n_neg } => accuracy_sens_counts(accuracy, sens, n_pos, n_neg),
        R::AccuracySpecCounts { accuracy, spec, n_pos, n_neg } => {
            accuracy_sens_counts(accuracy, spec, n_neg, n_pos).map(Found::swapped)
        }
        R::F1SensCounts { f1, sens, n_pos, n_neg } => f1_sens_counts(f1, sens, n_pos, n_neg),
        R::F1PpvCounts { f1, ppv, n_pos, n_neg } => f1_ppv_counts(f1, ppv, n_pos, n_neg),
        R::SensPpvNposTotal { sens, ppv, n_pos, total } => sens_ppv_npos_total(sens, ppv, n_pos, total),
        R::LrCounts { lr_pos, lr_neg, n_pos, n_neg } => lr_counts(lr_pos, lr_neg, n_pos, n_neg),
    }
}

/// §11 search for `Reported::SensSpecCounts`: the first guess and every consistent table.
fn sens_spec_counts(sens: Rounded, spec: Rounded, n_pos: u64, n_neg: u64) -> Result<Found, DataError> {
    let metrics = metrics_of(&Reported::SensSpecCounts { sens, spec, n_pos, n_neg });
    let mut s = Search { metrics: &metrics, visited: 0, n_found: 0, best: None };
    positive("n+", n_pos)?;
    positive("n−", n_neg)?;
    let tp = round_clamp(sens.value * n_pos as f64, n_pos);
    let tn = round_clamp(spec.value * n_neg as f64, n_neg);
    let initial = Study::new("reconstructed", tp, n_neg - tn, n_pos - tp, tn);
    for tp in span_times(&sens, n_pos, n_pos) {
        for tn in span_times(&spec, n_neg, n_neg) {
            s.visit(tp, n_neg - tn, n_pos - tp, tn)?;
        }
    }
    Ok(Found { initial, n_found: s.n_found, best: s.best.map(|(_, t)| t) })
}

/// §11 search for `Reported::SensSpecTotalPrev`: the first guess and every consistent table.
fn sens_spec_total_prev(
    sens: Rounded,
    spec: Rounded,
    total: u64,
    prevalence: Rounded,
) -> Result<Found, DataError> {
    let metrics = metrics_of(&Reported::SensSpecTotalPrev { sens, spec, total, prevalence });
    let mut s = Search { metrics: &metrics, visited: 0, n_found: 0, best: None };
    positive("N", total)?;
    let n1 = round_clamp(prevalence.value * total as f64, total);
    let n0 = total - n1;
    let tp = round_clamp(sens.value * n1 as f64, n1);
    let tn = round_clamp(spec.value * n0 as f64, n0);
    let initial = Study::new("reconstructed", tp, n0 - tn, n1 - tp, tn);
    for n1 in span_times(&prevalence, total, total) {
        let n0 = total - n1;
        for tp in span_times(&sens, n1, n1) {
            for tn in span_times(&spec, n0, n0) {
                s.visit(tp, n0 - tn, n1 - tp, tn)?;
            }
        }
    }
    Ok(Found { initial, n_found: s.n_found, best: s.best.map(|(_, t)| t) })
}

/// §11 search for `Reported::SensSpecPpvTotal`: the first guess and every consistent table.
fn sens_spec_ppv_total(
    sens: Rounded,
    spec: Rounded,
    ppv: Rounded,
    total: u64,
    degenerate: &str,
) -> Result<Found, DataError> {
    let metrics = metrics_of(&Reported::SensSpecPpvTotal { sens, spec, ppv, total });
    let mut s = Search { metrics: &metrics, visited: 0, n_found: 0, best: None };
    positive("N", total)?;
    let (se, sp, pv) = (sens.value, spec.value, ppv.value);
    let den = se * (1.0 - pv) + pv * (1.0 - sp);
    if sp >= 1.0 || den <= 0.0 {
        return Err(not_identifiable(degenerate));
    }
    let initial = rounded_from_prevalence(pv * (1.0 - sp) / den, total, se, sp);
    for n1 in 0..=total {
        s.tick()?;
        let n0 = total - n1;
        for tp in span_times(&sens, n1, n1) {
            for fp in span_other_from_pv(&ppv, tp, n0) {
                s.visit(tp, fp, n1 - tp, n0 - fp)?;
            }
        }
    }
    Ok(Found { initial, n_found: s.n_found, best: s.best.map(|(_, t)| t) })
}

/// §11 search for `Reported::AccuracySensCounts`: the first guess and every consistent table.
fn accuracy_sens_counts(
    accuracy: Rounded,
    sens: Rounded,
    n_pos: u64,
    n_neg: u64,
) -> Result<Found, DataError> {
    let metrics = metrics_of(&Reported::AccuracySensCounts { accuracy, sens, n_pos, n_neg });
    let mut s = Search { metrics: &metrics, visited: 0, n_found: 0, best: None };
    positive("n+", n_pos)?;
    positive("n−", n_neg)?;
    let n = (n_pos + n_neg) as f64;
    let tp = round_clamp(sens.value * n_pos as f64, n_pos);
    let tn = round_clamp(accuracy.value * n - tp as f64, n_neg);
    let initial = Study::new("reconstructed", tp, n_neg - tn, n_pos - tp, tn);
    let (lo, hi) = accuracy.interval();
    for tp in span_times(&sens, n_pos, n_pos) {
        for tn in span(lo * n - tp as f64, hi * n - tp as f64, 0, n_neg) {
            s.visit(tp, n_neg - tn, n_pos - tp, tn)?;
        }
    }
    Ok(Found { initial, n_found: s.n_found, best: s.best.map(|(_, t)| t) })
}

/// §11 search for `Reported::F1SensCounts`: the first guess and every consistent table.
fn f1_sens_counts(f1: Rounded, sens: Rounded, n_pos: u64, n_neg: u64) -> Result<Found, DataError> {
    let metrics = metrics_of(&Reported::F1SensCounts { f1, sens, n_pos, n_neg });
    let mut s = Search { metrics: &metrics, visited: 0, n_found: 0, best: None };
    positive("n+", n_pos)?;
    positive("n−", n_neg)?;
    if f1.value <= 0.0 {
        return Err(not_identifiable("with F1 = 0 (so TP = 0) the false positives cannot be recovered"));
    }
    let tp = round_clamp(sens.value * n_pos as f64, n_pos);
    let fn_ = n_pos - tp;
    let fp = round_clamp(tp as f64 * (2.0 / f1.value - 2.0) - fn_ as f64, n_neg);
    let initial = Study::new("reconstructed", tp, fp, fn_, n_neg - fp);
    let (lo, hi) = f1.interval();
    for tp in span_times(&sens, n_pos, n_pos) {
        let (t, f) = (tp as f64, (n_pos - tp) as f64);
        let low = if hi > 0.0 { 2.0 * t / hi - 2.0 * t - f } else { 0.0 };
        let high = if lo > 0.0 { 2.0 * t / lo - 2.0 * t - f } else { f64::INFINITY };
        for fp in span(low, high, 0, n_neg) {
            s.visit(tp, fp, n_pos - tp, n_neg - fp)?;
        }
    }
    Ok(Found { initial, n_found: s.n_found, best: s.best.map(|(_, t)| t) })
}

/// §11 search for `Reported::F1PpvCounts`: the first guess and every consistent table.
fn f1_ppv_counts(f1: Rounded, ppv: Rounded, n_pos: u64, n_neg: u64) -> Result<Found, DataError> {
    let metrics = metrics_of(&Reported::F1PpvCounts { f1, ppv, n_pos, n_neg });
    let mut s = Search { metrics: &metrics, visited: 0, n_found: 0, best: None };
    positive("n+", n_pos)?;
    positive("n−", n_neg)?;
    if 2.0 * ppv.value <= f1.value || ppv.value <= 0.0 {
        return Err(not_identifiable("Se = F1·PPV/(2·PPV − F1) needs 2·PPV > F1 and PPV > 0"));
    }
    let se = f1.value * ppv.value / (2.0 * ppv.value - f1.value);
    let tp = round_clamp(se * n_pos as f64, n_pos);
    let fp = round_clamp(tp as f64 * (1.0 - ppv.value) / ppv.value, n_neg);
    let initial = Study::new("reconstructed", tp, fp, n_pos - tp, n_neg - fp);
    for tp in 0..=n_pos {
        s.tick()?;
        for fp in span_other_from_pv(&ppv, tp, n_neg) {
            s.visit(tp, fp, n_pos - tp, n_neg - fp)?;
        }
    }
    Ok(Found { initial, n_found: s.n_found, best: s.best.map(|(_, t)| t) })
}

/// §11 search for `Reported::SensPpvNposTotal`: the first guess and every consistent table.
fn sens_ppv_npos_total(sens: Rounded, ppv: Rounded, n_pos: u64, total: u64) -> Result<Found, DataError> {
    let metrics = metrics_of(&Reported::SensPpvNposTotal { sens, ppv, n_pos, total });
    let mut s = Search { metrics: &metrics, visited: 0, n_found: 0, best: None };
    positive("n+", n_pos)?;
    if total <= n_pos {
        return Err(not_identifiable(format!("N = {total} must exceed n+ = {n_pos}")).in_column("N"));
    }
    if ppv.value <= 0.0 {
        return Err(not_identifiable("with PPV = 0 the false positives cannot be recovered"));
    }
    let n_neg = total - n_pos;
    let tp = round_clamp(sens.value * n_pos as f64, n_pos);
    let fp = round_clamp(tp as f64 * (1.0 - ppv.value) / ppv.value, n_neg);
    let initial = Study::new("reconstructed", tp, fp, n_pos - tp, n_neg - fp);
    for tp in span_times(&sens, n_pos, n_pos) {
        for fp in span_other_from_pv(&ppv, tp, n_neg) {
            s.visit(tp, fp, n_pos - tp, n_neg - fp)?;
        }
    }
    Ok(Found { initial, n_found: s.n_found, best: s.best.map(|(_, t)| t) })
}

/// §11 search for `Reported::LrCounts`: the first guess and every consistent table.
fn lr_counts(lr_pos: Rounded, lr_neg: Rounded, n_pos: u64, n_neg: u64) -> Result<Found, DataError> {
    let metrics = metrics_of(&Reported::LrCounts { lr_pos, lr_neg, n_pos, n_neg });
    let mut s = Search { metrics: &metrics, visited: 0, n_found: 0, best: None };
    positive("n+", n_pos)?;
    positive("n−", n_neg)?;
    let (lp, ln) = (lr_pos.value, lr_neg.value);
    if (lp - ln).abs() <= f64::EPSILON {
        return Err(not_identifiable(
            "with LR+ = LR− the test is uninformative and Se, Sp are not identified",
        ));
    }
    let sp = (lp - 1.0) / (lp - ln);
    let se = lp * (1.0 - ln) / (lp - ln);
    let tp = round_clamp(se * n_pos as f64, n_pos);
    let tn = round_clamp(sp * n_neg as f64, n_neg);
    let initial = Study::new("reconstructed", tp, n_neg - tn, n_pos - tp, tn);
    let (lo, hi) = lr_pos.interval();
    let ratio = n_neg as f64 / n_pos as f64;
    for tp in 0..=n_pos {
        s.tick()?;
        let t = tp as f64 * ratio;
        let low = if hi > 0.0 { t / hi } else { 0.0 };
        let high = if lo > 0.0 { t / lo } else { f64::INFINITY };
        for fp in span(low, high, 0, n_neg) {
            s.visit(tp, fp, n_pos - tp, n_neg - fp)?;
        }
    }
    Ok(Found { initial, n_found: s.n_found, best: s.best.map(|(_, t)| t) })
}

/// Rebuild the 2×2 table (METHODS §11); see the module documentation for the procedure.
///
/// # Errors
/// [`K::BadMetric`] for a proportion outside [0, 1] or a zero group size where one is needed;
/// [`K::NotIdentifiable`] for the degenerate cases of §11 (PPV with Sp = 1, NPV with Se = 1,
/// 2·PPV ≤ F1, LR+ = LR−, F1 = 0, N < n1); [`K::SearchTooLarge`] beyond [`SEARCH_BUDGET`].
pub fn reconstruct(reported: &Reported) -> Result<Reconstruction, DataError> {
    use Metric as M;
    let metrics = metrics_of(reported);
    for (m, r) in &metrics {
        match m {
            M::LrPos | M::LrNeg => {
                if !(r.value.is_finite() && r.value >= 0.0) {
                    return Err(DataError::error(
                        K::BadMetric,
                        format!("{} = {r} must be 0 or more", m.name()),
                    )
                    .in_column(m.name()));
                }
            }
            _ => check_proportion(m.name(), r)?,
        }
    }
    for (name, n) in reported_counts(reported) {
        if n > u64::from(u32::MAX) {
            return Err(DataError::error(
                K::BadMetric,
                format!("{name} = {n} is too large (at most {})", u32::MAX),
            )
            .in_column(name));
        }
    }
    let found = solve(reported)?;
    let derivation = derivation_of(reported);
    let (mut study, status) = match (found.n_found, found.best) {
        (0, _) | (_, None) => {
            let (metric, by) = worst_metric(&metrics, &found.initial);
            (found.initial, Status::Inconsistent { metric, by })
        }
        (1, Some(t)) => (t, Status::Exact),
        (n, Some(t)) => (t, Status::NonUnique { n_tables: n }),
    };
    study.label = "reconstructed".to_string();
    let max_abs_deviation = metrics
        .iter()
        .map(|(m, r)| {
            let v = m.value(&study);
            if v.is_finite() {
                (v - r.value).abs()
            } else {
                f64::INFINITY
            }
        })
        .fold(0.0, f64::max);
    Ok(Reconstruction { study, derivation, status, max_abs_deviation })
}

fn reported_counts(r: &Reported) -> Vec<(&'static str, u64)> {
    use Reported as R;
    match *r {
        R::SensSpecCounts { n_pos, n_neg, .. }
        | R::AccuracySensCounts { n_pos, n_neg, .. }
        | R::AccuracySpecCounts { n_pos, n_neg, .. }
        | R::F1SensCounts { n_pos, n_neg, .. }
        | R::F1PpvCounts { n_pos, n_neg, .. }
        | R::LrCounts { n_pos, n_neg, .. } => vec![("n+", n_pos), ("n−", n_neg)],
        R::SensSpecTotalPrev { total, .. }
        | R::SensSpecPpvTotal { total, .. }
        | R::SensSpecNpvTotal { total, .. } => {
            vec![("N", total)]
        }
        R::SensPpvNposTotal { n_pos, total, .. } => vec![("n+", n_pos), ("N", total)],
    }
}

/// The reported metric that `t` misses by the most (outside its rounding interval).
fn worst_metric(metrics: &[(Metric, Rounded)], t: &Study) -> (String, f64) {
    let mut worst = (String::new(), 0.0, -1.0);
    for (m, r) in metrics {
        let (n, d) = m.fraction(t);
        if r.matches(n, d) {
            continue;
        }
        let v = m.value(t);
        let by = v - r.value;
        let size = if by.is_finite() { by.abs() } else { f64::INFINITY };
        if size > worst.2 {
            worst = (m.name().to_string(), by, size);
        }
    }
    (worst.0, worst.1)
}

/// Parse `key=value` pairs (separated by spaces, `;` or `,`) and rebuild the table.
///
/// Keys (case-insensitive): `sens`/`se`/`sensitivity`/`recall`, `spec`/`sp`/`specificity`,
/// `ppv`/`precision`, `npv`, `acc`/`accuracy`, `f1`, `prev`/`prevalence`, `n`/`total`,
/// `npos`/`n1`/`n+`, `nneg`/`n0`/`n-`, `lr+`/`lrpos`/`plr`, `lr-`/`lrneg`/`nlr`, `label`.
/// Metrics accept `0.87`, `87%` and `0,87`. Example: `sens=0.87 spec=0.80 npos=45 nneg=120`.
///
/// # Errors
/// Unknown or repeated keys, unreadable values, or a set of keys that is not one of §11's
/// combinations ([`K::NotIdentifiable`], listing them); then as [`reconstruct`].
pub fn reconstruct_from_text(line: &str) -> Result<Reconstruction, DataError> {
    let mut m: [Option<Rounded>; 9] = [None; 9];
    let mut counts: [Option<u64>; 3] = [None; 3];
    let mut label: Option<String> = None;
    let tokens = line
        .split(|c: char| c.is_whitespace() || c == ';')
        .flat_map(|t| {
            if t.split(',').filter(|p| !p.is_empty()).all(|p| p.contains('=') || p.contains(':')) {
                t.split(',').collect::<Vec<_>>()
            } else {
                vec![t]
            }
        })
        .filter(|t| !t.is_empty());
    for tok in tokens {
        let Some((k, v)) = tok.split_once('=').or_else(|| tok.split_once(':')) else {
            return Err(DataError::error(K::BadMetric, format!("\"{tok}\" is not of the form key=value")));
        };
        let key = k.trim().to_lowercase().replace('−', "-");
        let v = v.trim();
        let metric_slot = match key.as_str() {
            "sens" | "se" | "sensitivity" | "recall" | "tpr" => Some(0),
            "spec" | "sp" | "specificity" | "tnr" => Some(1),
            "ppv" | "precision" => Some(2),
            "npv" => Some(3),
            "acc" | "accuracy" => Some(4),
            "f1" => Some(5),
            "prev" | "prevalence" => Some(6),
            "lr+" | "lrpos" | "plr" => Some(7),
            "lr-" | "lrneg" | "nlr" => Some(8),
            _ => None,
        };
        let count_slot = match key.as_str() {
            "n" | "total" | "ntotal" => Some(0),
            "npos" | "n1" | "n+" | "ndiseased" => Some(1),
            "nneg" | "n0" | "n-" | "nhealthy" => Some(2),
            _ => None,
        };
        let dup =
            || DataError::error(K::BadMetric, format!("\"{k}\" is given twice")).in_column(k.to_string());
        if let Some(i) = metric_slot {
            let r = Rounded::parse(v).map_err(|e| e.in_column(k.to_string()))?;
            if m[i].replace(r).is_some() {
                return Err(dup());
            }
        } else if let Some(i) = count_slot {
            let n: u64 = v.parse().map_err(|_| {
                DataError::error(K::BadMetric, format!("\"{v}\" is not a whole number"))
                    .in_column(k.to_string())
            })?;
            if counts[i].replace(n).is_some() {
                return Err(dup());
            }
        } else if key == "label" || key == "study" {
            label = Some(v.trim_matches('"').to_string());
        } else {
            return Err(
                DataError::error(K::BadMetric, format!("unknown key \"{k}\"")).in_column(k.to_string())
            );
        }
    }
    let [se, sp, ppv, npv, acc, f1, prev, lrp, lrn] = m;
    let [n, npos, nneg] = counts;
    let reported = match (se, sp, ppv, npv, acc, f1, prev, lrp, lrn, n, npos, nneg) {
        (Some(sens), Some(spec), None, None, None, None, None, None, None, None, Some(n_pos), Some(n_neg)) => {
            Reported::SensSpecCounts { sens, spec, n_pos, n_neg }
        }
        (Some(sens), Some(spec), None, None, None, None, Some(prevalence), None, None, Some(total), None, None) => {
            Reported::SensSpecTotalPrev { sens, spec, total, prevalence }
        }
        (Some(sens), Some(spec), Some(ppv), None, None, None, None, None, None, Some(total), None, None) => {
            Reported::SensSpecPpvTotal { sens, spec, ppv, total }
        }
        (Some(sens), Some(spec), None, Some(npv), None, None, None, None, None, Some(total), None, None) => {
            Reported::SensSpecNpvTotal { sens, spec, npv, total }
        }
        (Some(sens), None, None, None, Some(accuracy), None, None, None, None, None, Some(n_pos), Some(n_neg)) => {
            Reported::AccuracySensCounts { accuracy, sens, n_pos, n_neg }
        }
        (None, Some(spec), None, None, Some(accuracy), None, None, None, None, None, Some(n_pos), Some(n_neg)) => {
            Reported::AccuracySpecCounts { accuracy, spec, n_pos, n_neg }
        }
        (Some(sens), None, None, None, None, Some(f1), None, None, None, None, Some(n_pos), Some(n_neg)) => {
            Reported::F1SensCounts { f1, sens, n_pos, n_neg }
        }
        (None, None, Some(ppv), None, None, Some(f1), None, None, None, None, Some(n_pos), Some(n_neg)) => {
            Reported::F1PpvCounts { f1, ppv, n_pos, n_neg }
        }
        (Some(sens), None, Some(ppv), None, None, None, None, None, None, Some(total), Some(n_pos), None) => {
            Reported::SensPpvNposTotal { sens, ppv, n_pos, total }
        }
        (None, None, None, None, None, None, None, Some(lr_pos), Some(lr_neg), None, Some(n_pos), Some(n_neg)) => {
            Reported::LrCounts { lr_pos, lr_neg, n_pos, n_neg }
        }
        _ => {
            return Err(not_identifiable(
                "these quantities do not identify a 2×2 table; give one of: sens spec npos nneg | sens spec n prev | \
                 sens spec ppv n | sens spec npv n | acc sens npos nneg | acc spec npos nneg | f1 sens npos nneg | \
                 f1 ppv npos nneg | sens ppv npos n | lr+ lr- npos nneg",
            ))
        }
    };
    let mut r = reconstruct(&reported)?;
    if let Some(l) = label {
        r.study.label = l;
    }
    Ok(r)
}

//! The No-U-Turn sampler with multinomial trajectory sampling and Stan's windowed adaptation of
//! a diagonal mass matrix and the step size (Hoffman & Gelman 2014; Betancourt 2017,
//! arXiv:1701.02434; Stan Reference Manual, "HMC algorithm parameters").
//!
//! Why our own and not the `nuts-rs` crate: nuts-rs 0.19 builds without its `parallel` feature,
//! but pulls in `faer`, `pulp` (runtime SIMD dispatch: floating-point sums are ordered differently
//! natively and in wasm32, so a seed would not reproduce across the two), `rand` 0.10 (whose
//! default `getrandom` needs extra configuration on wasm32-unknown-unknown) and a storage layer
//! built around its own threads. The model here has ≤ a few hundred parameters, so the sampler's
//! own cost is small; what matters is a stream that is identical on every platform for one seed.
//! Every transcendental function used on the sampling path is `libm`'s (the same code natively and
//! in wasm), and the random numbers are [`crate::stats::rng::SplitMix64`]'s uniform stream.
//!
//! The transition is Stan's `base_nuts`: biased progressive sampling between subtrees, uniform
//! (multinomial) sampling within a subtree, the generalised U-turn criterion on the sum of momenta
//! with the two extra checks across merged subtrees, divergence when the energy error exceeds
//! 1000, and the mean Metropolis acceptance over the trajectory as the adaptation statistic.

use crate::stats::rng::SplitMix64;

/// A differentiable log density on an unconstrained space.
pub trait LogDensity {
    fn dim(&self) -> usize;
    /// The log density at `q` (up to a constant) and its gradient written into `grad`. A
    /// non-finite value marks a point outside the support (treated as a divergence).
    fn logp_grad(&self, q: &[f64], grad: &mut [f64]) -> f64;
}

/// Sampler settings (Stan's defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct NutsConfig {
    pub warmup: usize,
    pub draws: usize,
    pub max_depth: u32,
    /// Target mean acceptance statistic of the step-size adaptation (Stan: 0.8).
    pub target_accept: f64,
}

impl Default for NutsConfig {
    fn default() -> Self {
        NutsConfig { warmup: 1000, draws: 1000, max_depth: 10, target_accept: 0.8 }
    }
}

/// Standard normal deviate by Box–Muller with `libm` (platform-independent bits).
pub fn std_normal(rng: &mut SplitMix64) -> f64 {
    let u1 = rng.uniform();
    let u2 = rng.uniform();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
}

#[derive(Clone, Debug, Default)]
struct Point {
    q: Vec<f64>,
    p: Vec<f64>,
    grad: Vec<f64>,
    logp: f64,
}

impl Point {
    fn zeros(d: usize) -> Point {
        Point { q: vec![0.0; d], p: vec![0.0; d], grad: vec![0.0; d], logp: 0.0 }
    }
    /// Copy `o` into this point's buffers (same dimension; no allocation).
    fn copy_from(&mut self, o: &Point) {
        self.q.copy_from_slice(&o.q);
        self.p.copy_from_slice(&o.p);
        self.grad.copy_from_slice(&o.grad);
        self.logp = o.logp;
    }
}

/// What one iteration did (the per-draw sampler statistics).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct IterStats {
    pub depth: u32,
    pub n_leapfrog: u32,
    pub divergent: bool,
    pub accept: f64,
    pub step_size: f64,
    /// The tree reached `max_depth` without turning.
    pub hit_max_depth: bool,
    pub energy: f64,
}

/// A subtree being built. Its buffers are reused from iteration to iteration: one subtree per
/// tree depth lives in the chain's [`Workspace`], so a transition allocates nothing.
#[derive(Debug, Default)]
struct Subtree {
    /// The state adjacent to where the subtree was started from, and the far edge.
    inner: Point,
    outer: Point,
    proposal: Point,
    log_w: f64,
    rho: Vec<f64>,
    valid: bool,
    divergent: bool,
    n: u32,
    sum_accept: f64,
}

impl Subtree {
    fn sized(d: usize) -> Subtree {
        Subtree {
            inner: Point::zeros(d),
            outer: Point::zeros(d),
            proposal: Point::zeros(d),
            rho: vec![0.0; d],
            ..Subtree::default()
        }
    }
}

/// The buffers of one transition: the trajectory's two edges, its proposal and summed momentum,
/// the subtree that extends it, and one subtree per depth for the second halves.
#[derive(Debug, Default)]
struct Workspace {
    left: Point,
    right: Point,
    proposal: Point,
    rho: Vec<f64>,
    sub: Subtree,
    levels: Vec<Subtree>,
}

impl Workspace {
    fn new(d: usize, max_depth: u32) -> Workspace {
        Workspace {
            left: Point::zeros(d),
            right: Point::zeros(d),
            proposal: Point::zeros(d),
            rho: vec![0.0; d],
            sub: Subtree::sized(d),
            levels: (0..max_depth.max(1)).map(|_| Subtree::sized(d)).collect(),
        }
    }
}

fn lse(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + libm::log1p(libm::exp(-(a - b).abs()))
}

/// One chain: the state, the adaptation and its random stream. Advance it with [`Chain::step`]
/// (one iteration) so that callers can sample in slices.
pub struct Chain {
    rng: SplitMix64,
    cfg: NutsConfig,
    /// Inverse mass matrix (diagonal).
    inv_m: Vec<f64>,
    current: Point,
    eps: f64,
    // Dual averaging (Hoffman & Gelman 2014, §3.2.1; Stan's constants).
    da_mu: f64,
    da_hbar: f64,
    da_logeps_bar: f64,
    da_t: f64,
    // Windowed variance estimation (Welford).
    win_n: usize,
    win_mean: Vec<f64>,
    win_m2: Vec<f64>,
    windows: Vec<(usize, usize)>,
    pub iteration: usize,
    ws: Workspace,
}

const DA_GAMMA: f64 = 0.05;
const DA_T0: f64 = 10.0;
const DA_KAPPA: f64 = 0.75;
const MAX_DELTA_H: f64 = 1000.0;

/// Stan's adaptation windows: an initial fast buffer (75), slow windows doubling from 25, a
/// terminal fast buffer (50); scaled to 15 % / 75 % / 10 % when the warm-up is shorter than 150.
fn adaptation_windows(warmup: usize) -> Vec<(usize, usize)> {
    if warmup < 20 {
        return Vec::new();
    }
    let (init, term, base) = if warmup < 150 {
        let init = warmup * 15 / 100;
        let term = warmup / 10;
        (init, term, warmup - init - term)
    } else {
        (75, 50, 25)
    };
    let end_slow = warmup - term;
    let mut out = Vec::new();
    let mut start = init;
    let mut size = base;
    while start < end_slow {
        let mut end = start + size;
        // The last window absorbs a remainder shorter than twice the next window.
        if end + 2 * size > end_slow {
            end = end_slow;
        }
        out.push((start, end));
        start = end;
        size *= 2;
    }
    out
}

impl Chain {
    /// A chain started at `q0` with its own stream.
    pub fn new<M: LogDensity>(model: &M, q0: Vec<f64>, cfg: NutsConfig, rng: SplitMix64) -> Chain {
        let d = model.dim();
        let mut grad = vec![0.0; d];
        let logp = model.logp_grad(&q0, &mut grad);
        let current = Point { q: q0, p: vec![0.0; d], grad, logp };
        let windows = adaptation_windows(cfg.warmup);
        let mut ch = Chain {
            rng,
            cfg,
            inv_m: vec![1.0; d],
            current,
            eps: 1.0,
            da_mu: 0.0,
            da_hbar: 0.0,
            da_logeps_bar: 0.0,
            da_t: 0.0,
            win_n: 0,
            win_mean: vec![0.0; d],
            win_m2: vec![0.0; d],
            windows,
            iteration: 0,
            ws: Workspace::default(),
        };
        ch.init_step_size(model);
        ch.restart_dual_averaging();
        ch
    }

    /// The current position (unconstrained).
    pub fn position(&self) -> &[f64] {
        &self.current.q
    }

    /// The adapted inverse mass matrix (diagonal).
    pub fn inv_mass(&self) -> &[f64] {
        &self.inv_m
    }

    fn restart_dual_averaging(&mut self) {
        self.da_mu = libm::log(10.0 * self.eps);
        self.da_hbar = 0.0;
        self.da_logeps_bar = 0.0;
        self.da_t = 0.0;
    }

    fn sample_momentum(&mut self, p: &mut [f64]) {
        for (pi, m) in p.iter_mut().zip(&self.inv_m) {
            *pi = std_normal(&mut self.rng) / libm::sqrt(*m);
        }
    }

    fn kinetic(&self, p: &[f64]) -> f64 {
        0.5 * p.iter().zip(&self.inv_m).map(|(p, m)| p * p * m).sum::<f64>()
    }

    /// One leapfrog step from `z` written into `out` (a different point; no allocation).
    fn leapfrog<M: LogDensity>(&self, model: &M, z: &Point, eps: f64, out: &mut Point) {
        for (((p, q), (zp, zq)), (g, m)) in out
            .p
            .iter_mut()
            .zip(out.q.iter_mut())
            .zip(z.p.iter().zip(&z.q))
            .zip(z.grad.iter().zip(&self.inv_m))
        {
            *p = zp + 0.5 * eps * g;
            *q = zq + eps * m * *p;
        }
        out.logp = model.logp_grad(&out.q, &mut out.grad);
        for (pi, g) in out.p.iter_mut().zip(&out.grad) {
            *pi += 0.5 * eps * g;
        }
    }

    fn hamiltonian(&self, z: &Point) -> f64 {
        let h = -z.logp + self.kinetic(&z.p);
        if h.is_finite() {
            h
        } else {
            f64::INFINITY
        }
    }

    /// Stan's step-size heuristic: double or halve until the one-step acceptance crosses 0.8.
    fn init_step_size<M: LogDensity>(&mut self, model: &M) {
        let mut z = self.current.clone();
        let mut p = vec![0.0; z.q.len()];
        self.sample_momentum(&mut p);
        z.p = p;
        let h0 = self.hamiltonian(&z);
        let mut z1 = Point::zeros(z.q.len());
        let mut one = |ch: &Chain, eps: f64| -> f64 {
            ch.leapfrog(model, &z, eps, &mut z1);
            let h = ch.hamiltonian(&z1);
            if h.is_finite() {
                h0 - h
            } else {
                f64::NEG_INFINITY
            }
        };
        let log08 = libm::log(0.8);
        // NaN counts as "too large a step" (below the target).
        let above = |d: f64| d > log08;
        let mut delta = one(self, self.eps);
        let direction = if above(delta) { 1.0 } else { -1.0 };
        for _ in 0..100 {
            self.eps = if direction > 0.0 { 2.0 * self.eps } else { 0.5 * self.eps };
            if !self.eps.is_finite() || self.eps < 1e-12 || self.eps > 1e7 {
                self.eps = self.eps.clamp(1e-12, 1e7);
                break;
            }
            delta = one(self, self.eps);
            if (direction > 0.0) != above(delta) {
                break;
            }
        }
    }

    /// `p♯·rho > 0` at both ends, with `p♯ = M⁻¹p` and `rho = r1 + r2` (no temporaries).
    fn criterion(&self, p_minus: &[f64], p_plus: &[f64], r1: &[f64], r2: &[f64]) -> bool {
        let (mut a, mut b) = (0.0, 0.0);
        for ((pm, pp), ((x, y), m)) in p_minus.iter().zip(p_plus).zip(r1.iter().zip(r2).zip(&self.inv_m)) {
            let r = x + y;
            a += pm * m * r;
            b += pp * m * r;
        }
        a > 0.0 && b > 0.0
    }

    /// Builds into `out` a subtree of `2^depth` leapfrog steps from `from` in the direction of
    /// `eps`'s sign. The second half of a subtree of depth `d` is built in `ws.levels[d − 1]`.
    #[allow(clippy::too_many_arguments)]
    fn build_tree<M: LogDensity>(
        &mut self,
        model: &M,
        levels: &mut [Subtree],
        from: &Point,
        depth: u32,
        eps: f64,
        h0: f64,
        out: &mut Subtree,
    ) {
        if depth == 0 {
            self.leapfrog(model, from, eps, &mut out.outer);
            let h = self.hamiltonian(&out.outer);
            let valid = h.is_finite() && h - h0 <= MAX_DELTA_H;
            out.inner.copy_from(&out.outer);
            out.proposal.copy_from(&out.outer);
            out.rho.copy_from_slice(&out.outer.p);
            out.log_w = if h.is_finite() { h0 - h } else { f64::NEG_INFINITY };
            out.valid = valid;
            out.divergent = !valid;
            out.n = 1;
            out.sum_accept = if h.is_finite() { libm::exp(h0 - h).min(1.0) } else { 0.0 };
            return;
        }
        self.build_tree(model, levels, from, depth - 1, eps, h0, out);
        if !out.valid {
            return;
        }
        let i = depth as usize - 1;
        let mut b = levels.get_mut(i).map(std::mem::take).unwrap_or_else(|| Subtree::sized(from.q.len()));
        let lower = i.min(levels.len());
        self.build_tree(model, &mut levels[..lower], &out.outer, depth - 1, eps, h0, &mut b);
        let n = out.n + b.n;
        let sum_accept = out.sum_accept + b.sum_accept;
        if !b.valid {
            out.valid = false;
            out.divergent = b.divergent;
            out.n = n;
            out.sum_accept = sum_accept;
            if let Some(slot) = levels.get_mut(i) {
                *slot = b;
            }
            return;
        }
        let log_w = lse(out.log_w, b.log_w);
        let take_b = libm::log(self.rng.uniform()) < b.log_w - log_w;
        let valid = self.no_u_turn(&out.inner, &out.outer, &out.rho, &b.inner, &b.outer, &b.rho);
        for (x, y) in out.rho.iter_mut().zip(&b.rho) {
            *x += y;
        }
        std::mem::swap(&mut out.outer, &mut b.outer);
        if take_b {
            std::mem::swap(&mut out.proposal, &mut b.proposal);
        }
        out.log_w = log_w;
        out.valid = valid;
        out.divergent = false;
        out.n = n;
        out.sum_accept = sum_accept;
        if let Some(slot) = levels.get_mut(i) {
            *slot = b;
        }
    }

    /// The generalised U-turn criterion over the merged trajectory and across the two halves
    /// (Stan ≥ 2.26). `a` lies on the side of the start, `b` was built from `a_outer` outwards.
    fn no_u_turn(
        &self,
        a_inner: &Point,
        a_outer: &Point,
        a_rho: &[f64],
        b_inner: &Point,
        b_outer: &Point,
        b_rho: &[f64],
    ) -> bool {
        self.criterion(&a_inner.p, &b_outer.p, a_rho, b_rho)
            && self.criterion(&a_inner.p, &b_inner.p, a_rho, &b_inner.p)
            && self.criterion(&a_outer.p, &b_outer.p, b_rho, &a_outer.p)
    }

    /// One NUTS transition from the current state (no adaptation).
    fn transition<M: LogDensity>(&mut self, model: &M) -> IterStats {
        let eps = self.eps;
        let d = self.current.q.len();
        let mut ws = std::mem::take(&mut self.ws);
        if ws.rho.len() != d || ws.levels.len() < self.cfg.max_depth as usize {
            ws = Workspace::new(d, self.cfg.max_depth);
        }
        ws.left.copy_from(&self.current);
        let mut p = std::mem::take(&mut ws.left.p);
        self.sample_momentum(&mut p);
        ws.left.p = p;
        let h0 = self.hamiltonian(&ws.left);
        ws.right.copy_from(&ws.left);
        ws.proposal.copy_from(&ws.left);
        ws.rho.copy_from_slice(&ws.left.p);
        let mut log_w = 0.0;
        let (mut n, mut sum_accept, mut depth, mut divergent) = (0u32, 0.0, 0u32, false);
        let mut turned = false;
        let mut sub = std::mem::take(&mut ws.sub);
        while depth < self.cfg.max_depth {
            let forward = self.rng.uniform() < 0.5;
            if forward {
                self.build_tree(model, &mut ws.levels, &ws.right, depth, eps, h0, &mut sub);
            } else {
                self.build_tree(model, &mut ws.levels, &ws.left, depth, -eps, h0, &mut sub);
            }
            n += sub.n;
            sum_accept += sub.sum_accept;
            depth += 1;
            if !sub.valid {
                // A diverging subtree (energy error) or one that turned on itself: stop, keep
                // the proposal from the trajectory built so far.
                divergent = sub.divergent;
                turned = !divergent;
                break;
            }
            // Biased progressive sampling (Betancourt 2017, appendix A.3.2).
            if libm::log(self.rng.uniform()) < sub.log_w - log_w {
                std::mem::swap(&mut ws.proposal, &mut sub.proposal);
            }
            log_w = lse(log_w, sub.log_w);
            // The old trajectory is `a` (its outer edge is where the new one began).
            let ok = if forward {
                let r = self.no_u_turn(&ws.left, &ws.right, &ws.rho, &sub.inner, &sub.outer, &sub.rho);
                std::mem::swap(&mut ws.right, &mut sub.outer);
                r
            } else {
                let r = self.no_u_turn(&ws.right, &ws.left, &ws.rho, &sub.inner, &sub.outer, &sub.rho);
                std::mem::swap(&mut ws.left, &mut sub.outer);
                r
            };
            for (x, y) in ws.rho.iter_mut().zip(&sub.rho) {
                *x += y;
            }
            if !ok {
                turned = true;
                break;
            }
        }
        ws.sub = sub;
        let energy = self.hamiltonian(&ws.proposal);
        self.current.copy_from(&ws.proposal);
        self.current.p.iter_mut().for_each(|x| *x = 0.0);
        self.ws = ws;
        IterStats {
            depth,
            n_leapfrog: n,
            divergent,
            accept: if n > 0 { sum_accept / n as f64 } else { 0.0 },
            step_size: eps,
            hit_max_depth: !turned && !divergent && depth >= self.cfg.max_depth,
            energy,
        }
    }

    /// One iteration: a transition, then (during warm-up) the adaptation step.
    pub fn step<M: LogDensity>(&mut self, model: &M) -> IterStats {
        let stats = self.transition(model);
        let it = self.iteration;
        self.iteration += 1;
        if it < self.cfg.warmup {
            self.adapt(model, it, stats.accept);
        }
        stats
    }

    fn adapt<M: LogDensity>(&mut self, model: &M, it: usize, accept: f64) {
        // Dual averaging of the step size.
        self.da_t += 1.0;
        let t = self.da_t;
        let eta = 1.0 / (t + DA_T0);
        self.da_hbar = (1.0 - eta) * self.da_hbar + eta * (self.cfg.target_accept - accept);
        let log_eps = self.da_mu - libm::sqrt(t) / DA_GAMMA * self.da_hbar;
        let x_eta = libm::pow(t, -DA_KAPPA);
        self.da_logeps_bar = x_eta * log_eps + (1.0 - x_eta) * self.da_logeps_bar;
        self.eps = libm::exp(log_eps);
        // Metric windows.
        if let Some(&(start, end)) = self.windows.iter().find(|(s, e)| it >= *s && it < *e) {
            if it == start {
                self.win_n = 0;
                self.win_mean.iter_mut().for_each(|x| *x = 0.0);
                self.win_m2.iter_mut().for_each(|x| *x = 0.0);
            }
            self.win_n += 1;
            let nn = self.win_n as f64;
            for ((m, m2), q) in self.win_mean.iter_mut().zip(self.win_m2.iter_mut()).zip(&self.current.q) {
                let d = q - *m;
                *m += d / nn;
                *m2 += d * (q - *m);
            }
            if it + 1 == end {
                // Stan's regularised variance: (n/(n+5))·var + 1e-3·(5/(n+5)).
                let n = nn;
                for (im, m2) in self.inv_m.iter_mut().zip(&self.win_m2) {
                    let var = m2 / (n - 1.0).max(1.0);
                    *im = (n / (n + 5.0)) * var + 1e-3 * (5.0 / (n + 5.0));
                }
                self.init_step_size(model);
                self.restart_dual_averaging();
            }
        }
        if it + 1 == self.cfg.warmup {
            self.eps = libm::exp(self.da_logeps_bar);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A correlated 2-D Gaussian with very different scales.
    struct Gauss {
        sd: [f64; 2],
        rho: f64,
    }
    impl LogDensity for Gauss {
        fn dim(&self) -> usize {
            2
        }
        fn logp_grad(&self, q: &[f64], g: &mut [f64]) -> f64 {
            let (x, y) = (q[0] / self.sd[0], q[1] / self.sd[1]);
            let c = 1.0 - self.rho * self.rho;
            let qf = (x * x - 2.0 * self.rho * x * y + y * y) / c;
            g[0] = -(x - self.rho * y) / c / self.sd[0];
            g[1] = -(y - self.rho * x) / c / self.sd[1];
            -0.5 * qf
        }
    }

    #[test]
    fn windows_match_stan() {
        // Stan with 1000 warm-up: 75 | 25 50 100 200 500 | 50.
        let w = adaptation_windows(1000);
        assert_eq!(w, vec![(75, 100), (100, 150), (150, 250), (250, 450), (450, 950)]);
        assert!(adaptation_windows(10).is_empty());
        let w = adaptation_windows(100);
        assert_eq!((w[0].0, w.last().map(|x| x.1)), (15, Some(90)));
    }

    #[test]
    fn gaussian_moments() {
        let model = Gauss { sd: [1.0, 10.0], rho: 0.8 };
        let cfg = NutsConfig { warmup: 500, draws: 4000, ..NutsConfig::default() };
        let mut ch = Chain::new(&model, vec![0.5, -3.0], cfg.clone(), SplitMix64::new(7));
        let mut xs = Vec::new();
        for i in 0..cfg.warmup + cfg.draws {
            let s = ch.step(&model);
            if i >= cfg.warmup {
                assert!(!s.divergent, "iteration {i}");
                xs.push([ch.position()[0], ch.position()[1]]);
            }
        }
        let n = xs.len() as f64;
        let m0 = xs.iter().map(|x| x[0]).sum::<f64>() / n;
        let m1 = xs.iter().map(|x| x[1]).sum::<f64>() / n;
        let v0 = xs.iter().map(|x| (x[0] - m0).powi(2)).sum::<f64>() / n;
        let v1 = xs.iter().map(|x| (x[1] - m1).powi(2)).sum::<f64>() / n;
        let c = xs.iter().map(|x| (x[0] - m0) * (x[1] - m1)).sum::<f64>() / n / (v0 * v1).sqrt();
        // Monte Carlo error with ESS ≳ 1000: sd/√1000 ≈ 0.03 sd; tolerances 4 MCSE.
        assert!(m0.abs() < 0.13 && (m1 / 10.0).abs() < 0.13, "{m0} {m1}");
        assert!((v0 - 1.0).abs() < 0.15 && (v1 / 100.0 - 1.0).abs() < 0.15, "{v0} {v1}");
        assert!((c - 0.8).abs() < 0.05, "{c}");
        // The adapted metric approximates the marginal variances.
        let im = ch.inv_mass();
        assert!((im[1] / im[0] - 100.0).abs() < 40.0, "{im:?}");
    }
}

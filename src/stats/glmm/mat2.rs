//! A tiny 2×2 matrix type for the per-study inner loops (faster and clearer than a general matrix).

/// Row-major 2×2 matrix `[[a, b], [c, d]]`.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct M2 {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub d: f64,
}

impl M2 {
    pub const ZERO: M2 = M2 { a: 0.0, b: 0.0, c: 0.0, d: 0.0 };
    pub const fn new(a: f64, b: f64, c: f64, d: f64) -> M2 {
        M2 { a, b, c, d }
    }
    pub fn det(&self) -> f64 {
        self.a * self.d - self.b * self.c
    }
    pub fn t(&self) -> M2 {
        M2::new(self.a, self.c, self.b, self.d)
    }
    pub fn mul(&self, o: &M2) -> M2 {
        M2::new(
            self.a * o.a + self.b * o.c,
            self.a * o.b + self.b * o.d,
            self.c * o.a + self.d * o.c,
            self.c * o.b + self.d * o.d,
        )
    }
    pub fn add(&self, o: &M2) -> M2 {
        M2::new(self.a + o.a, self.b + o.b, self.c + o.c, self.d + o.d)
    }
    pub fn scale(&self, s: f64) -> M2 {
        M2::new(self.a * s, self.b * s, self.c * s, self.d * s)
    }
    pub fn mv(&self, v: [f64; 2]) -> [f64; 2] {
        [self.a * v[0] + self.b * v[1], self.c * v[0] + self.d * v[1]]
    }
    /// `Mᵀ v`.
    pub fn tv(&self, v: [f64; 2]) -> [f64; 2] {
        [self.a * v[0] + self.c * v[1], self.b * v[0] + self.d * v[1]]
    }
    pub fn inv(&self) -> M2 {
        let det = self.det();
        M2::new(self.d / det, -self.b / det, -self.c / det, self.a / det)
    }
    pub fn trace(&self) -> f64 {
        self.a + self.d
    }
    /// Frobenius inner product `Σ X_ij Y_ij`.
    pub fn dot(&self, o: &M2) -> f64 {
        self.a * o.a + self.b * o.b + self.c * o.c + self.d * o.d
    }
    /// `Mᵀ diag(d) M`.
    pub fn t_diag_m(&self, d: [f64; 2]) -> M2 {
        M2::new(
            d[0] * self.a * self.a + d[1] * self.c * self.c,
            d[0] * self.a * self.b + d[1] * self.c * self.d,
            d[0] * self.a * self.b + d[1] * self.c * self.d,
            d[0] * self.b * self.b + d[1] * self.d * self.d,
        )
    }
    /// Lower Cholesky factor of a symmetric positive-definite matrix.
    pub fn chol_lower(&self) -> M2 {
        let l11 = self.a.sqrt();
        let l21 = self.c / l11;
        let l22 = (self.d - l21 * l21).max(0.0).sqrt();
        M2::new(l11, 0.0, l21, l22)
    }
    /// Inverse of a lower-triangular matrix.
    pub fn inv_lower(&self) -> M2 {
        M2::new(1.0 / self.a, 0.0, -self.c / (self.a * self.d), 1.0 / self.d)
    }
    /// `Φ(X)`: the lower triangle with the diagonal halved (derivative of a Cholesky factor).
    pub fn phi(&self) -> M2 {
        M2::new(0.5 * self.a, 0.0, self.c, 0.5 * self.d)
    }
}

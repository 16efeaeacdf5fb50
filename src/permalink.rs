//! Permalinks: a whole analysis (data + settings) in a URL fragment.
//!
//! Format `v1.<payload>`: `payload` = URL-safe base64 without padding of the zlib stream
//! (deflate + Adler-32, so corruption is detected) of a compact binary body:
//!
//! ```text
//! body      = settings dataset [extensions]
//! settings  = u8 model, varint nodes, f64 ci_level, u8 cc_rule, f64 cc_increment, u8 ci_method,
//!             u8 region, opt<str> covariate, opt<f64> split_threshold, opt<str str> cross,
//!             opt<f64> pretest, varint n + n·str excluded, u8 auc_ci
//! dataset   = varint k, k·str labels, k·varint TP, k·varint FP, k·varint FN, k·varint TN,
//!             varint n_cov, n_cov·covariate, varint cluster+1 (0 = none)
//! covariate = str name, u8 kind, varint n_levels, n_levels·str, k·value
//! value     = varint 0 (missing) | varint 1, f64 (number, raw bits) | varint 2, str (number as its
//!             shortest decimal text, used when that text parses back to the same bits)
//!             | varint 3+j (level j)
//! str       = varint byte length, UTF-8;  opt<x> = u8 0 | u8 1, x;  f64 = 8 bytes LE (bit-exact)
//! varint    = unsigned LEB128 (≤ 10 bytes)
//! extensions = varint n, n·(str key, str json)   (setting groups added after this layout, see
//!             `settings::setting_groups!`; absent in links that use none, and in older links)
//! ```
//!
//! Decoding never panics: corrupted, truncated, future-version or hostile input returns a
//! [`PermalinkError`]; the decompressed size is capped at [`MAX_DECOMPRESSED`] (zip-bomb safe).

use crate::data::correction::{Correction, CorrectionRule};
use crate::data::{Covariate, CovariateKind, CovariateValue, Dataset, Study};
use crate::settings::{AnalysisSettings, AucCi, CiMethod, Method, RegionKind};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::fmt;

/// The format version written by [`encode`].
pub const VERSION: u32 = 1;
/// Largest accepted decompressed body (4 MiB).
pub const MAX_DECOMPRESSED: usize = 4 << 20;
/// Largest accepted fragment (characters); longer input is refused before decoding.
pub const MAX_FRAGMENT: usize = 6 << 20;

/// Why a permalink could not be read.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PermalinkError {
    /// Nothing after `#`.
    Empty,
    /// The fragment does not start with `v<number>.`.
    NoVersion,
    /// Made by a newer (or unknown) format version.
    UnsupportedVersion(String),
    /// The fragment is longer than [`MAX_FRAGMENT`].
    TooLong { len: usize },
    /// Characters outside URL-safe base64.
    Base64(String),
    /// The compressed stream is damaged (bad deflate data or checksum).
    Corrupt(String),
    /// The decompressed body would exceed [`MAX_DECOMPRESSED`].
    TooLarge,
    /// The body ends in the middle of a field.
    Truncated(&'static str),
    /// A field holds an impossible value.
    Invalid(String),
}

impl fmt::Display for PermalinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PermalinkError as E;
        match self {
            E::Empty => write!(f, "the link holds no analysis (nothing after #)"),
            E::NoVersion => write!(f, "this is not a Fourfold link (it should start with \"v1.\")"),
            E::UnsupportedVersion(v) => write!(
                f,
                "this link uses format {v}, which this version of Fourfold cannot read (it reads v{VERSION})"
            ),
            E::TooLong { len } => {
                write!(f, "the link is too long ({len} characters; at most {MAX_FRAGMENT})")
            }
            E::Base64(m) => write!(f, "the link is damaged (not valid base64: {m})"),
            E::Corrupt(m) => write!(f, "the link is damaged (the compressed data does not unpack: {m})"),
            E::TooLarge => write!(f, "the link unpacks to more than {} MiB; refused", MAX_DECOMPRESSED >> 20),
            E::Truncated(what) => write!(f, "the link is truncated (it ends inside {what})"),
            E::Invalid(m) => write!(f, "the link is damaged ({m})"),
        }
    }
}

impl std::error::Error for PermalinkError {}

/// Encode data and settings as a URL-fragment string `v1.…` (without the `#`).
pub fn encode(dataset: &Dataset, settings: &AnalysisSettings) -> String {
    wrap_payload(&encode_payload(dataset, settings))
}

/// Decode a fragment made by [`encode`] (a leading `#` and surrounding whitespace are ignored).
///
/// # Errors
/// See [`PermalinkError`]; never panics.
pub fn decode(fragment: &str) -> Result<(Dataset, AnalysisSettings), PermalinkError> {
    if fragment.len() > MAX_FRAGMENT {
        return Err(PermalinkError::TooLong { len: fragment.len() });
    }
    let s = fragment.trim();
    let s = s.strip_prefix('#').unwrap_or(s);
    if s.is_empty() {
        return Err(PermalinkError::Empty);
    }
    let Some((version, rest)) = s.split_once('.') else {
        return Err(PermalinkError::NoVersion);
    };
    let Some(number) =
        version.strip_prefix('v').filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    else {
        return Err(PermalinkError::NoVersion);
    };
    if number != VERSION.to_string() {
        let shown: String = version.chars().take(12).collect();
        return Err(PermalinkError::UnsupportedVersion(shown));
    }
    let compressed =
        URL_SAFE_NO_PAD.decode(rest.as_bytes()).map_err(|e| PermalinkError::Base64(e.to_string()))?;
    let body = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&compressed, MAX_DECOMPRESSED)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => PermalinkError::TooLarge,
            other => PermalinkError::Corrupt(format!("{other:?}")),
        })?;
    decode_payload(&body)
}

/// The uncompressed binary body (exposed for the fuzz harness).
#[doc(hidden)]
pub fn encode_payload(dataset: &Dataset, settings: &AnalysisSettings) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(256 + 32 * dataset.studies.len()));
    write_settings(&mut w, settings);
    write_dataset(&mut w, dataset);
    let ext = settings.extensions();
    if !ext.is_empty() {
        w.varint(ext.len() as u64);
        for (key, json) in &ext {
            w.str(key);
            w.str(json);
        }
    }
    w.0
}

/// Compress and base64 an arbitrary body under the current version prefix (fuzz harness).
#[doc(hidden)]
pub fn wrap_payload(body: &[u8]) -> String {
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(body, 10);
    format!("v{VERSION}.{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// Decode an uncompressed body (fuzz harness; [`decode`] calls it after inflating).
#[doc(hidden)]
pub fn decode_payload(body: &[u8]) -> Result<(Dataset, AnalysisSettings), PermalinkError> {
    let mut r = Reader { buf: body, pos: 0 };
    let mut settings = read_settings(&mut r)?;
    let dataset = read_dataset(&mut r)?;
    if r.pos < body.len() {
        // Each extension needs at least 2 bytes (two empty strings).
        let n = r.len("the extension settings", 2)?;
        if n == 0 {
            return Err(PermalinkError::Invalid("an empty extension section after the data".into()));
        }
        for _ in 0..n {
            let key = r.str("an extension key")?;
            let json = r.str("an extension value")?;
            settings.apply_extension(&key, &json).map_err(PermalinkError::Invalid)?;
        }
    }
    if r.pos != body.len() {
        return Err(PermalinkError::Invalid(format!(
            "{} unexpected bytes after the data",
            body.len() - r.pos
        )));
    }
    Ok((dataset, settings))
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, b: u8) {
        self.0.push(b);
    }
    fn varint(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }
    fn f64(&mut self, x: f64) {
        self.0.extend_from_slice(&x.to_bits().to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt_f64(&mut self, x: Option<f64>) {
        match x {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.f64(v);
            }
        }
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.str(v);
            }
        }
    }
}

/// The byte of a choice: its position in the type's `ALL` list (the menu order, fixed by the format).
fn code<T: Copy + PartialEq>(all: &[T], v: T) -> u8 {
    all.iter().position(|x| *x == v).map_or(0, |i| i as u8)
}

fn write_settings(w: &mut Writer, s: &AnalysisSettings) {
    w.u8(code(Method::ALL, s.model));
    w.varint(u64::from(s.nodes));
    w.f64(s.ci_level);
    w.u8(code(CorrectionRule::ALL, s.correction.rule));
    w.f64(s.correction.increment);
    w.u8(code(CiMethod::ALL, s.ci_method));
    w.u8(code(RegionKind::ALL, s.region));
    w.opt_str(s.covariate.as_deref());
    w.opt_f64(s.split_threshold);
    match &s.cross {
        None => w.u8(0),
        Some((a, b)) => {
            w.u8(1);
            w.str(a);
            w.str(b);
        }
    }
    w.opt_f64(s.pretest);
    w.varint(s.excluded.len() as u64);
    for e in &s.excluded {
        w.str(e);
    }
    // v1 links made before `none` existed hold 0 or 1 here; 2 (none) is read by this version on.
    w.u8(code(AucCi::ALL, s.auc_ci));
}

fn write_dataset(w: &mut Writer, d: &Dataset) {
    let k = d.studies.len();
    w.varint(k as u64);
    for s in &d.studies {
        w.str(&s.label);
    }
    for get in [|s: &Study| s.tp, |s: &Study| s.fp, |s: &Study| s.fn_, |s: &Study| s.tn] {
        for s in &d.studies {
            w.varint(get(s));
        }
    }
    w.varint(d.covariates.len() as u64);
    for c in &d.covariates {
        w.str(&c.name);
        w.u8(match c.kind {
            CovariateKind::Categorical => 0,
            CovariateKind::Numeric => 1,
        });
        let mut levels: Vec<&str> = Vec::new();
        for v in &c.values {
            if let CovariateValue::Category(s) = v {
                if !levels.contains(&s.as_str()) {
                    levels.push(s);
                }
            }
        }
        w.varint(levels.len() as u64);
        for l in &levels {
            w.str(l);
        }
        // Exactly k values are written (a short column is padded with Missing).
        for i in 0..k {
            match c.values.get(i) {
                None | Some(CovariateValue::Missing) => w.varint(0),
                Some(CovariateValue::Number(x)) => {
                    // Decimal text compresses far better than raw bits; use it when exact.
                    let text = format!("{x}");
                    if text.parse::<f64>().map(f64::to_bits) == Ok(x.to_bits()) {
                        w.varint(2);
                        w.str(&text);
                    } else {
                        w.varint(1);
                        w.f64(*x);
                    }
                }
                Some(CovariateValue::Category(s)) => {
                    let j = levels.iter().position(|l| *l == s.as_str()).unwrap_or(0);
                    w.varint(3 + j as u64);
                }
            }
        }
    }
    w.varint(d.cluster.map_or(0, |c| c as u64 + 1));
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, PermalinkError> {
        let b = *self.buf.get(self.pos).ok_or(PermalinkError::Truncated(what))?;
        self.pos += 1;
        Ok(b)
    }
    fn varint(&mut self, what: &'static str) -> Result<u64, PermalinkError> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.u8(what)?;
            let part = u64::from(b & 0x7f);
            if i == 9 && part > 1 {
                return Err(PermalinkError::Invalid(format!("{what}: number too large")));
            }
            v |= part << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(PermalinkError::Invalid(format!("{what}: number too long")))
    }
    /// A length that must fit in the rest of the body (each element needs ≥ `min_bytes`).
    fn len(&mut self, what: &'static str, min_bytes: usize) -> Result<usize, PermalinkError> {
        let n = self.varint(what)?;
        let n =
            usize::try_from(n).map_err(|_| PermalinkError::Invalid(format!("{what}: count too large")))?;
        if n.saturating_mul(min_bytes.max(1)) > self.remaining() {
            return Err(PermalinkError::Truncated(what));
        }
        Ok(n)
    }
    fn f64(&mut self, what: &'static str) -> Result<f64, PermalinkError> {
        let end = self.pos.checked_add(8).ok_or(PermalinkError::Truncated(what))?;
        let bytes: [u8; 8] = self
            .buf
            .get(self.pos..end)
            .and_then(|s| s.try_into().ok())
            .ok_or(PermalinkError::Truncated(what))?;
        self.pos = end;
        Ok(f64::from_bits(u64::from_le_bytes(bytes)))
    }
    fn str(&mut self, what: &'static str) -> Result<String, PermalinkError> {
        let n = self.len(what, 1)?;
        let end = self.pos.checked_add(n).ok_or(PermalinkError::Truncated(what))?;
        let bytes = self.buf.get(self.pos..end).ok_or(PermalinkError::Truncated(what))?;
        self.pos = end;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| PermalinkError::Invalid(format!("{what}: not UTF-8 text")))
    }
    fn flag(&mut self, what: &'static str) -> Result<bool, PermalinkError> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(PermalinkError::Invalid(format!("{what}: bad flag {b}"))),
        }
    }
    fn choice(&mut self, what: &'static str, n: u8) -> Result<u8, PermalinkError> {
        let b = self.u8(what)?;
        if b >= n {
            return Err(PermalinkError::Invalid(format!("{what}: unknown option {b}")));
        }
        Ok(b)
    }
    /// A choice written by `code`: its position in `all`.
    fn pick<T: Copy>(&mut self, what: &'static str, all: &[T]) -> Result<T, PermalinkError> {
        let n = u8::try_from(all.len()).unwrap_or(u8::MAX);
        let b = self.choice(what, n)?;
        all.get(usize::from(b))
            .copied()
            .ok_or_else(|| PermalinkError::Invalid(format!("{what}: unknown option {b}")))
    }
}

fn read_settings(r: &mut Reader) -> Result<AnalysisSettings, PermalinkError> {
    let model = r.pick("the model", Method::ALL)?;
    let nodes = u32::try_from(r.varint("the number of nodes")?)
        .map_err(|_| PermalinkError::Invalid("the number of nodes is too large".to_string()))?;
    let ci_level = r.f64("the confidence level")?;
    let rule = r.pick("the continuity correction", CorrectionRule::ALL)?;
    let increment = r.f64("the continuity correction")?;
    let ci_method = r.pick("the CI method", CiMethod::ALL)?;
    let region = r.pick("the region type", RegionKind::ALL)?;
    let covariate = if r.flag("the covariate")? { Some(r.str("the covariate")?) } else { None };
    let split_threshold =
        if r.flag("the split threshold")? { Some(r.f64("the split threshold")?) } else { None };
    let cross = if r.flag("the crossed covariates")? {
        Some((r.str("the crossed covariates")?, r.str("the crossed covariates")?))
    } else {
        None
    };
    let pretest =
        if r.flag("the pre-test probability")? { Some(r.f64("the pre-test probability")?) } else { None };
    let n_excluded = r.len("the excluded studies", 1)?;
    let mut excluded = Vec::with_capacity(n_excluded);
    for _ in 0..n_excluded {
        excluded.push(r.str("the excluded studies")?);
    }
    let auc_ci = r.pick("the AUC interval method", AucCi::ALL)?;
    Ok(AnalysisSettings {
        model,
        nodes,
        ci_level,
        correction: Correction::new(rule, increment),
        ci_method,
        region,
        covariate,
        split_threshold,
        cross,
        pretest,
        excluded,
        auc_ci,
        ..AnalysisSettings::default()
    })
}

fn read_dataset(r: &mut Reader) -> Result<Dataset, PermalinkError> {
    // Each study needs at least 5 bytes (empty label + four one-byte counts).
    let k = r.len("the studies", 5)?;
    let mut labels = Vec::with_capacity(k);
    for _ in 0..k {
        labels.push(r.str("a study label")?);
    }
    let mut cells: [Vec<u64>; 4] = Default::default();
    for col in cells.iter_mut() {
        col.reserve(k);
        for _ in 0..k {
            col.push(r.varint("the counts")?);
        }
    }
    let [tp, fp, fn_, tn] = cells;
    let studies: Vec<Study> = labels
        .into_iter()
        .zip(tp)
        .zip(fp)
        .zip(fn_)
        .zip(tn)
        .map(|((((l, a), b), c), d)| Study::new(l, a, b, c, d))
        .collect();
    // Each covariate needs at least 3 bytes plus one per study.
    let n_cov = r.len("the covariates", 3 + k)?;
    let mut covariates = Vec::with_capacity(n_cov);
    for _ in 0..n_cov {
        let name = r.str("a covariate name")?;
        let kind = [CovariateKind::Categorical, CovariateKind::Numeric]
            [usize::from(r.choice("a covariate type", 2)?)];
        let n_levels = r.len("the covariate levels", 1)?;
        let mut levels = Vec::with_capacity(n_levels);
        for _ in 0..n_levels {
            levels.push(r.str("a covariate level")?);
        }
        let mut values = Vec::with_capacity(k);
        for _ in 0..k {
            let code = r.varint("a covariate value")?;
            values.push(match code {
                0 => CovariateValue::Missing,
                1 => CovariateValue::Number(r.f64("a covariate value")?),
                2 => {
                    let text = r.str("a covariate value")?;
                    let x = text.parse::<f64>().map_err(|_| {
                        PermalinkError::Invalid("a covariate value is not a number".to_string())
                    })?;
                    CovariateValue::Number(x)
                }
                j => {
                    let level = usize::try_from(j - 3).ok().and_then(|j| levels.get(j)).ok_or_else(|| {
                        PermalinkError::Invalid("a covariate value names no level".to_string())
                    })?;
                    CovariateValue::Category(level.clone())
                }
            });
        }
        covariates.push(Covariate { name, kind, values });
    }
    let cluster = match r.varint("the cluster column")? {
        0 => None,
        c => {
            let i = usize::try_from(c - 1).ok().filter(|&i| i < covariates.len());
            Some(i.ok_or_else(|| PermalinkError::Invalid("the cluster column does not exist".to_string()))?)
        }
    };
    Ok(Dataset { studies, covariates, cluster })
}

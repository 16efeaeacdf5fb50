//! Pure numerics: no I/O, no plotting, no DOM, no string formatting for display.
//!
//! Every function takes validated [`crate::data`] types and returns plain numbers in structs.

pub mod accuracy;
pub mod bayes;
pub mod betainc;
pub mod bivariate;
pub mod comparative;
pub mod dispersion;
pub mod error;
pub mod estimate;
pub mod fagan;
pub mod glmm;
pub mod heterogeneity;
pub mod hsroc_reg;
pub mod influence;
pub mod metareg;
pub mod multilevel;
pub mod pubbias;
pub mod reitsma;
pub mod revman;
pub mod rng;
pub mod sof;
pub mod summary;
pub mod threelevel;
pub mod threshold;
pub mod transform;
pub use error::StatsError;

/// Serde for a type that people read as one sentence (JSON, the CLI: `text`) but that the page's
/// analysis worker hands over structurally: the Serialize impl writes `text` except inside
/// [`while_transferring`], where it writes the derived structure; Deserialize reads only the
/// structure (nothing reads the sentence back). The type derives `Serialize, Deserialize` with
/// `#[serde(remote = "Self")]`, which gives the inherent functions used here.
macro_rules! text_for_people {
    ($t:ty, |$v:ident| $text:expr) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if $crate::stats::for_people(self) {
                    let $v = self;
                    s.collect_str(&$text)
                } else {
                    <$t>::serialize(self, s)
                }
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$t>::deserialize(d)
            }
        }
    };
}
pub(crate) use text_for_people;

thread_local! {
    static TRANSFERRING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True except inside [`while_transferring`]: the `skip_serializing_if` of the fields that
/// people's JSON leaves out but the page's worker hands over (the MCMC plots' summaries), and the
/// switch of [`text_for_people!`].
pub fn for_people<T>(_: &T) -> bool {
    !TRANSFERRING.with(std::cell::Cell::get)
}

/// Runs `f` (the encoder of the page's worker, `crate::worker::encoding`) with [`for_people`]
/// false. Restores the flag even if `f` panics.
pub fn while_transferring<R>(f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            TRANSFERRING.with(|t| t.set(false));
        }
    }
    TRANSFERRING.with(|t| t.set(true));
    let _reset = Reset;
    f()
}

/// A fixed text of the code kept in a result (`&'static str`). Fields of this type are read back
/// with a `deserialize_with` of [`known_text`]; the alias keeps serde's derive from borrowing a
/// literal `&str` field from the input (which would need `'de: 'static`).
pub type FixedText = &'static str;

/// Reads back a `&'static str` field whose value is one of `known` (the texts the code writes).
pub(crate) fn known_text<'de, D: serde::Deserializer<'de>>(
    d: D,
    known: &[&'static str],
) -> Result<&'static str, D::Error> {
    let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    known
        .iter()
        .find(|k| **k == s)
        .copied()
        .ok_or_else(|| serde::de::Error::custom(format!("unexpected text {s:?}")))
}

/// `margin` of [`bivariate::FitError`]: "sensitivity" or "specificity".
pub(crate) fn margin_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    known_text(d, &["sensitivity", "specificity"])
}
pub use estimate::Estimate;

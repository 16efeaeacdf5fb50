//! Named choices: the one text form of every option enum (CLI flags, the page's `<select>` values,
//! JSON and permalinks all use it). Each option type implements `FromStr` (accepting its aliases)
//! and `Display` (its canonical name) with [`impl_choice!`](crate::impl_choice).

use std::fmt;

/// A value that is not one of an option's names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseChoiceError {
    /// What the option is called in messages, e.g. "model".
    pub option: &'static str,
    /// What was given.
    pub value: String,
    /// The canonical names accepted.
    pub expected: &'static [&'static str],
}

impl fmt::Display for ParseChoiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} '{}' (choose {})", self.option, self.value, self.expected.join(", "))
    }
}

impl std::error::Error for ParseChoiceError {}

/// Implements `name()`, `Display`, `FromStr` (case-insensitive, with aliases) and `ALL` for a
/// fieldless option enum: `impl_choice!(Type, "option", [Variant => "name" | "alias", …]);`
#[macro_export]
macro_rules! impl_choice {
    ($ty:ty, $option:literal, [$($variant:ident => $name:literal $(| $alias:literal)*),+ $(,)?]) => {
        impl $ty {
            /// Every value, in menu order.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];
            /// The canonical names, in menu order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];
            /// The canonical name (CLI flag value, `<select>` value, JSON string).
            pub fn name(self) -> &'static str {
                match self {
                    $(<$ty>::$variant => $name),+
                }
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = $crate::data::choice::ParseChoiceError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let v = s.trim().to_ascii_lowercase();
                $(
                    if v == $name $(|| v == $alias)* {
                        return Ok(<$ty>::$variant);
                    }
                )+
                Err($crate::data::choice::ParseChoiceError {
                    option: $option,
                    value: s.trim().to_string(),
                    expected: <$ty>::NAMES,
                })
            }
        }
    };
}

//! Layouts other tools write, recognised after the generic parse ([`super::parse::parse_table`]
//! reads their headers already: `author`/`ID` as the study label, any order of `TP FP FN TN`)
//! and adapted where the tool encodes something its own way. Each adapter leaves every other
//! column alone and reports what it did in the parse notes.
//!
//! | tool | layout (source) | what is adapted |
//! |---|---|---|
//! | MetaDTA (CRSU) | `author, year, TP, FN, FP, TN[, rob_PS, rob_IT, rob_RS, rob_FT, ac_PS, ac_IT, ac_RS][, covariates]`, written by R `write.table(sep = ",", row.names = FALSE)` (CRSU-Apps/MetaDTA `R/data_page.R`, `Data/QA_Cov.csv`) | the QUADAS-2 codes 1/2/3 → `low`/`high`/`unclear` ([`metadta`]) |
//! | RevMan 5 (`.rm5`) | XML: `COCHRANE_REVIEW TYPE="DIAGNOSTIC"`, tests under `ANALYSES_AND_DATA/TESTS/TEST`, 2×2 tables in `TEST_DATA_ENTRY STUDY_ID TP FP FN TN`, labels from `INCLUDED_STUDIES/STUDY NAME YEAR` (CochraneSchizophrenia/RAPTOR `DR-RAPTOR_run_locally.py`) | converted to `study, year[, test], TP, FP, FN, TN` text before parsing ([`rm5`]) |
//! | Meta-DiSc 2.0 | `ID, TP, FP, FN, TN[, covariates]`, any case, `.xlsx` or `.csv` with comma or semicolon (the app's upload check: `setdiff(c("id","tp","tn","fp","fn"), tolower(colnames))`) | nothing: read by the generic parser |

pub mod metadta;
pub mod rm5;

use super::parse::ParseOutcome;

/// Apply every adapter whose layout the parsed table has.
pub fn adapt(out: &mut ParseOutcome) {
    metadta::adapt(out);
}

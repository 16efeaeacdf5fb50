# Files laid out exactly as other DTA tools write or ask for them, made from the reference data
# (../shared/refs/data) so that tests/imports.rs can check they parse to the same studies.
# Run from the repository root:  Rscript tests/refs-src/make_import_fixtures.R
#
# * MetaDTA (CRSU-Apps/MetaDTA, R/data_page.R): columns author, year, TP, FN, FP, TN, then the
#   seven QUADAS-2 columns rob_PS, rob_IT, rob_RS, rob_FT, ac_PS, ac_IT, ac_RS coded 1/2/3
#   (low/high/unclear), then covariates; the app's "download example" writes
#   write.table(x, file, sep = ",", row.names = FALSE) -- quoted header and strings.
# * Meta-DiSc 2.0 (its upload check: tolower(colnames) must contain id, tp, tn, fp, fn; CSV read
#   with read.csv(sep = ",") or read.csv(sep = ";")): a semicolon CSV as European Excel saves it
#   (write.csv2: sep ";", decimal comma), columns ID, TP, FP, FN, TN, a covariate.
# The year and QUADAS codes are made up (deterministic); only the layout matters here.
refs <- file.path("..", "shared", "refs", "data")
out <- file.path("tests", "fixtures", "import")
d <- read.csv(file.path(refs, "dementia.csv"))
k <- nrow(d)
code <- function(shift) ((seq_len(k) + shift) %% 3) + 1
m <- data.frame(author = d$study, year = 1990 + seq_len(k) %% 25,
                TP = d$TP, FN = d$FN, FP = d$FP, TN = d$TN,
                rob_PS = code(0), rob_IT = code(1), rob_RS = code(2), rob_FT = code(0),
                ac_PS = code(1), ac_IT = code(2), ac_RS = code(1),
                Threshold = round(3 + (seq_len(k) %% 7) / 10, 1))
write.table(m, file.path(out, "metadta_dementia.csv"), sep = ",", row.names = FALSE)
a <- read.csv(file.path(refs, "audit_c.csv"))
md <- data.frame(ID = a$study, TP = a$TP, FP = a$FP, FN = a$FN, TN = a$TN,
                 Cutoff = 3 + (seq_len(nrow(a)) %% 3) + 0.5)
write.csv2(md, file.path(out, "metadisc_audit_c.csv"), row.names = FALSE)

# A RevMan 5 review file (.rm5, XML) of a diagnostic test accuracy review, made from the reference
# data (../shared/refs/data/anti_ccp.csv: the two antibody generations CCP1 / CCP2 as two tests),
# for tests/imports.rs. Run from the repository root:  Rscript tests/refs-src/make_rm5_fixture.R
#
# RevMan 5's schema is not published. The elements and attributes written here are the ones public
# parsers of real .rm5 files read: CochraneSchizophrenia/RAPTOR, DR-RAPTOR_run_locally.py
# (https://github.com/CochraneSchizophrenia/RAPTOR): root COCHRANE_REVIEW with TYPE="DIAGNOSTIC" and
# QUADAS2; COVER_SHEET/TITLE; STUDIES_AND_REFERENCES/STUDIES/INCLUDED_STUDIES/STUDY (ID, NAME, YEAR,
# DATA_SOURCE); ANALYSES_AND_DATA/TESTS/TEST (ID; children NAME, FULL_NAME, DESCRIPTION) with
# TEST_DATA/TEST_DATA_ENTRY (STUDY_ID, TP, FP, FN, TN); and, from a second public parser of the same
# files, the computed SENSITIVITY / SENS_CI_START / SENS_CI_END / SPECIFICITY / SPEC_CI_START /
# SPEC_CI_END attributes of each entry (written here with exact binomial limits; Fourfold ignores them).
# RevMan writes more (dates, GROUP_ID, characteristics tables, QUALITY_ITEMS); those are left out.
refs <- file.path("..", "shared", "refs", "data")
d <- read.csv(file.path(refs, "anti_ccp.csv"))
year <- sub(".* ", "", d$study)
id <- paste0("STD-", gsub(" ", "-", d$study))
esc <- function(s) gsub("\"", "&quot;", gsub("<", "&lt;", gsub("&", "&amp;", s)))
ci <- function(x, n) as.numeric(binom.test(x, n)$conf.int)
entry <- function(i) {
  r <- d[i, ]
  se <- ci(r$TP, r$TP + r$FN); sp <- ci(r$TN, r$TN + r$FP)
  sprintf(paste0('<TEST_DATA_ENTRY FN="%d" FP="%d" SENSITIVITY="%.4f" SENS_CI_END="%.4f" SENS_CI_START="%.4f" ',
                 'SPECIFICITY="%.4f" SPEC_CI_END="%.4f" SPEC_CI_START="%.4f" STUDY_ID="%s" TN="%d" TP="%d"/>'),
          r$FN, r$FP, r$TP / (r$TP + r$FN), se[2], se[1], r$TN / (r$TN + r$FP), sp[2], sp[1], esc(id[i]), r$TN, r$TP)
}
test <- function(no, gen) {
  rows <- which(d$generation == gen)
  c(sprintf('<TEST ID="TST-%03d">', no),
    sprintf("<NAME>Anti-%s</NAME>", gen),
    sprintf("<FULL_NAME>Anti-cyclic citrullinated peptide antibody, generation %s</FULL_NAME>", sub("CCP", "", gen)),
    "<DESCRIPTION>ELISA</DESCRIPTION>",
    "<TEST_DATA>", vapply(rows, entry, ""), "</TEST_DATA>", "</TEST>")
}
out <- c('<?xml version="1.0" encoding="UTF-8"?>',
  '<COCHRANE_REVIEW DOI="10.1002/14651858.CD000000" GROUP_ID="MUSKEL" ID="0000000000000000000000000000000" QUADAS2="YES" TYPE="DIAGNOSTIC">',
  "<COVER_SHEET>", "<TITLE>Anti-CCP antibodies for the diagnosis of rheumatoid arthritis</TITLE>", "</COVER_SHEET>",
  "<STUDIES_AND_REFERENCES>", "<STUDIES>", "<INCLUDED_STUDIES>",
  sprintf('<STUDY DATA_SOURCE="PUB" ID="%s" NAME="%s" YEAR="%s">', esc(id), esc(d$study), year),
  "</INCLUDED_STUDIES>", "</STUDIES>", "</STUDIES_AND_REFERENCES>",
  "<ANALYSES_AND_DATA>", "<TESTS>", test(1, "CCP1"), test(2, "CCP2"), "</TESTS>", "</ANALYSES_AND_DATA>",
  "</COCHRANE_REVIEW>")
# Each STUDY element is closed on its own line (RevMan nests references inside; none here).
out <- sub('(<STUDY [^>]*)>$', '\\1></STUDY>', out)
writeLines(out, file.path("tests", "fixtures", "import", "revman5_anti_ccp.rm5"), useBytes = TRUE)

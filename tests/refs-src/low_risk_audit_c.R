# Reference for the low-risk sensitivity analysis (issue #15): the bivariate binomial GLMM (lme4
# glmer, Laplace, the tight control of ../shared/refs) fitted in R to the AuditC studies that the
# test fixture tests/fixtures/audit_c_quadas.csv judges low, filtered here by hand in R (not by
# Fourfold). Run from the repository root:
#   Rscript tests/refs-src/low_risk_audit_c.R > tests/refs-src/out/low_risk_audit_c.json
suppressPackageStartupMessages({ library(lme4); library(jsonlite) })
d <- read.csv("tests/fixtures/audit_c_quadas.csv", comment.char = "#", stringsAsFactors = FALSE)
rob <- c("patient_selection", "index_test", "reference_standard", "flow_timing")
fit <- function(keep) {
  s <- d[keep, ]
  long <- rbind(
    data.frame(study = s$study, sens = 1, spec = 0, true = s$TP, n = s$TP + s$FN),
    data.frame(study = s$study, sens = 0, spec = 1, true = s$TN, n = s$TN + s$FP))
  m <- glmer(cbind(true, n - true) ~ 0 + sens + spec + (0 + sens + spec | study), data = long,
    family = binomial, nAGQ = 1,
    control = glmerControl(optimizer = "bobyqa", tolPwrss = 1e-11, optCtrl = list(maxfun = 1e5, rhoend = 1e-10)))
  vc <- as.matrix(VarCorr(m)$study)
  list(studies = s$study, k = nrow(s),
    mu_logit_sens = unname(fixef(m)["sens"]), mu_logit_spec = unname(fixef(m)["spec"]),
    se_logit_sens = unname(sqrt(diag(as.matrix(vcov(m))))[1]), se_logit_spec = unname(sqrt(diag(as.matrix(vcov(m))))[2]),
    tau2_logit_sens = vc[1, 1], tau2_logit_spec = vc[2, 2], cov_logit_sens_spec = vc[1, 2],
    loglik = as.numeric(logLik(m)), conv_messages = m@optinfo$conv$lme4$messages)
}
out <- list(
  source = "tests/refs-src/low_risk_audit_c.R",
  data = "tests/fixtures/audit_c_quadas.csv (AuditC from ../shared/refs/data with constructed QUADAS-2 judgements)",
  call = "glmer(cbind(true, n - true) ~ 0 + sens + spec + (0 + sens + spec | study), family = binomial, nAGQ = 1, bobyqa, tolPwrss = 1e-11, rhoend = 1e-10)",
  versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4"))),
  D1 = fit(d$patient_selection == "low"),
  overall = fit(apply(d[, rob] == "low", 1, all)))
cat(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "\n")

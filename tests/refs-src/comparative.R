# References for the comparative / multi-test model (METHODS §15.1–§15.2, issue #13).
# Run from the repository root:  Rscript tests/refs-src/comparative.R
# Writes tests/refs-src/out/comparative.json and the synthetic data sets it fits
# (tests/refs-src/out/comparative_*.csv). Nothing here is produced by Fourfold.
#
# Model: glmer(cbind(true, n - true) ~ 0 + test:sens + test:spec + (0 + sens + spec | study),
#        family = binomial) with tight controls (the Laplace MLE), plus the reduced models of the
#        LR tests (equal sensitivity, equal specificity, both), and an exact-likelihood block
#        `own_dense`: the marginal likelihood by a dense non-adaptive 2-D grid (trapezoid rule over
#        u in [-9, 9]^2, 361 x 361 points, spherical form b = L u), maximised by nlminb; an
#        independent check of the exact fits (written here, not copied from any package).
suppressPackageStartupMessages({ library(lme4); library(jsonlite) })
set.seed(20261201)
out_dir <- "tests/refs-src/out"
ctrl <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-11,
                     optCtrl = list(maxfun = 1e5, rhoend = 1e-10))

long <- function(d) {
  a <- data.frame(study = d$study, test = d$test, true = d$TP, n = d$TP + d$FN, sens = 1, spec = 0)
  b <- data.frame(study = d$study, test = d$test, true = d$TN, n = d$TN + d$FP, sens = 0, spec = 1)
  x <- rbind(a, b)
  x$test <- factor(x$test, levels = sort(unique(d$test)))
  x$study <- factor(x$study)
  x
}

fit_glmer <- function(d, f) {
  m <- glmer(f, data = long(d), family = binomial, control = ctrl)
  vc <- VarCorr(m)$study
  list(coef = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
       vcov = unname(as.matrix(vcov(m))),
       tau2_logit_sens = vc[1, 1], tau2_logit_spec = vc[2, 2],
       rho = attr(vc, "correlation")[1, 2], loglik = as.numeric(logLik(m)),
       singular = isSingular(m), messages = m@optinfo$conv$lme4$messages)
}

# Exact marginal log-likelihood on a dense grid (trapezoid = equal weights on a uniform grid).
grid_u <- seq(-9, 9, length.out = 361)
h <- grid_u[2] - grid_u[1]
U1 <- rep(grid_u, times = length(grid_u)); U2 <- rep(grid_u, each = length(grid_u))
lw_grid <- -0.5 * (U1^2 + U2^2) + 2 * log(h) - log(2 * pi)
dense_ll <- function(par, d, tests) {
  nt <- length(tests)
  mu1 <- par[1:nt]; mu2 <- par[nt + 1:nt]
  l11 <- exp(par[2 * nt + 1]); l22 <- exp(par[2 * nt + 2]); r <- tanh(par[2 * nt + 3])
  b1 <- l11 * U1; b2 <- l22 * (r * U1 + sqrt(1 - r^2) * U2)
  total <- 0
  for (s in unique(d$study)) {
    rows <- d[d$study == s, ]
    lv <- lw_grid
    for (i in seq_len(nrow(rows))) {
      t <- match(rows$test[i], tests)
      e1 <- mu1[t] + b1; e2 <- mu2[t] + b2
      n1 <- rows$TP[i] + rows$FN[i]; n0 <- rows$TN[i] + rows$FP[i]
      lv <- lv + rows$TP[i] * e1 - n1 * log1p(exp(-abs(e1))) - n1 * pmax(e1, 0) +
        rows$TN[i] * e2 - n0 * log1p(exp(-abs(e2))) - n0 * pmax(e2, 0) +
        lchoose(n1, rows$TP[i]) + lchoose(n0, rows$TN[i])
    }
    m <- max(lv)
    total <- total + m + log(sum(exp(lv - m)))
  }
  total
}
fit_dense <- function(d, start) {
  tests <- sort(unique(d$test))
  o <- nlminb(start, function(p) -dense_ll(p, d, tests),
              control = list(eval.max = 2000, iter.max = 1000, rel.tol = 1e-13))
  nt <- length(tests)
  list(par = o$par, loglik = -o$objective, convergence = o$convergence, message = o$message,
       mu_logit_sens = o$par[1:nt], mu_logit_spec = o$par[nt + 1:nt],
       tau2_logit_sens = exp(2 * o$par[2 * nt + 1]), tau2_logit_spec = exp(2 * o$par[2 * nt + 2]),
       rho = tanh(o$par[2 * nt + 3]), grid = "361 x 361 uniform on u in [-9, 9]^2")
}

block <- function(d, with_dense = TRUE) {
  full <- fit_glmer(d, cbind(true, n - true) ~ 0 + test:sens + test:spec + (0 + sens + spec | study))
  eq_sens <- fit_glmer(d, cbind(true, n - true) ~ 0 + sens + test:spec + (0 + sens + spec | study))
  eq_spec <- fit_glmer(d, cbind(true, n - true) ~ 0 + test:sens + spec + (0 + sens + spec | study))
  eq_both <- fit_glmer(d, cbind(true, n - true) ~ 0 + sens + spec + (0 + sens + spec | study))
  out <- list(k_tables = nrow(d), k_studies = length(unique(d$study)),
              tests = sort(unique(d$test)),
              glmer_laplace_tight = full,
              loglik_equal_sens = eq_sens$loglik, loglik_equal_spec = eq_spec$loglik,
              loglik_equal_both = eq_both$loglik)
  if (with_dense) {
    nt <- length(out$tests)
    start <- c(unlist(full$coef), 0.5 * log(full$tau2_logit_sens), 0.5 * log(full$tau2_logit_spec),
               atanh(max(min(full$rho, 0.99), -0.99)))
    out$own_dense <- fit_dense(d, start)
  }
  out
}

# (a) schuetz split by test; the shared study id is the label without its " [CT]"/" [MRI]" suffix.
sz <- read.csv("../shared/refs/data/schuetz.csv", check.names = FALSE)
sz$study_label <- sz$study
sz$study <- sub(" \\[(CT|MRI)\\]$", "", sz$study)
both <- names(which(tapply(sz$test, sz$study, function(t) length(unique(t))) > 1))
paired <- sz[sz$study %in% both, ]

# (b) synthetic paired data with known truth: two tests in every study.
expit <- function(x) 1 / (1 + exp(-x)); logit <- function(p) log(p / (1 - p))
simulate <- function(k, truth, tests_per_study = NULL) {
  nt <- length(truth$sens)
  rows <- list()
  L <- matrix(c(truth$tau[1], 0, truth$rho * truth$tau[2], truth$tau[2] * sqrt(1 - truth$rho^2)), 2, byrow = TRUE)
  for (i in 1:k) {
    u <- L %*% rnorm(2)
    n1 <- sample(15:80, 1); n0 <- sample(40:200, 1)
    which_tests <- if (is.null(tests_per_study)) 1:nt else sort(sample(1:nt, tests_per_study[i]))
    for (t in which_tests) {
      tp <- rbinom(1, n1, expit(logit(truth$sens[t]) + u[1]))
      tn <- rbinom(1, n0, expit(logit(truth$spec[t]) + u[2]))
      rows[[length(rows) + 1]] <- data.frame(study = sprintf("S%02d", i), TP = tp, FP = n0 - tn,
                                             FN = n1 - tp, TN = tn, test = LETTERS[t])
    }
  }
  do.call(rbind, rows)
}
truth2 <- list(sens = c(0.85, 0.75), spec = c(0.80, 0.90), tau = c(0.8, 0.6), rho = -0.3)
syn2 <- simulate(30, truth2)
truth3 <- list(sens = c(0.85, 0.75, 0.9), spec = c(0.80, 0.90, 0.7), tau = c(0.7, 0.5), rho = -0.2)
syn3 <- simulate(36, truth3, tests_per_study = sample(1:3, 36, replace = TRUE))
write.csv(syn2, file.path(out_dir, "comparative_synthetic2.csv"), row.names = FALSE)
write.csv(syn3, file.path(out_dir, "comparative_synthetic3.csv"), row.names = FALSE)
write.csv(sz[, c("study", "TP", "FP", "FN", "TN", "test")], file.path(out_dir, "comparative_schuetz.csv"), row.names = FALSE)

res <- list(
  versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  model = "glmer(cbind(true, n - true) ~ 0 + test:sens + test:spec + (0 + sens + spec | study), family = binomial, control = glmerControl(optimizer = 'bobyqa', tolPwrss = 1e-11, optCtrl = list(maxfun = 1e5, rhoend = 1e-10)))",
  schuetz = c(block(sz), list(studies_reporting_both = both)),
  schuetz_paired_only = block(paired),
  synthetic2 = c(block(syn2), list(truth = truth2)),
  synthetic3 = c(block(syn3), list(truth = truth3))
)
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"),
           file.path(out_dir, "comparative.json"))
cat("wrote", file.path(out_dir, "comparative.json"), "\n")

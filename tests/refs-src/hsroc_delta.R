# HSROC parameters' standard errors by the delta method (METHODS §4.4) and by a parametric
# bootstrap, from a glmmTMB Laplace fit of the bivariate binomial GLMM. Independent of Fourfold:
# the fit, the covariance of (mu, theta) and both uncertainty computations are R's.
#
# Run from the repository root:  Rscript tests/refs-src/hsroc_delta.R
# Output: tests/refs-src/out/hsroc_delta.json (read by tests/revman.rs).
#
# Model: glmmTMB(cbind(true, n - true) ~ 0 + sens + spec + (0 + sens + spec | study), binomial),
# i.e. the Laplace approximation (= Fourfold --model laplace). fit$sdr$cov.fixed is the inverse
# Hessian of (beta, theta) with theta = (log sd1, log sd2, t), rho = t / sqrt(1 + t^2) (glmmTMB's
# 2-d unstructured parametrisation; checked against VarCorr below). The delta method is invariant
# to this choice of working parameters (the observed information transforms with the Jacobian).
suppressPackageStartupMessages({ library(glmmTMB); library(numDeriv); library(jsonlite) })
refs <- file.path("..", "shared", "refs", "data")
sets <- c("audit_c", "scheidler", "dementia", "smoking", "anti_ccp", "xpert_tbm")
hsroc <- function(p) {            # p = (mu1, mu2, log sd1, log sd2, t)
  sa <- exp(p[3]); sb <- exp(p[4]); r <- p[5] / sqrt(1 + p[5]^2); sab <- r * sa * sb
  c(Lambda = sqrt(sb / sa) * p[1] + sqrt(sa / sb) * p[2],
    Theta = 0.5 * (sqrt(sb / sa) * p[1] - sqrt(sa / sb) * p[2]),
    beta = log(sb / sa),
    log_sigma2_alpha = log(2 * (sa * sb + sab)),
    log_sigma2_theta = log(0.5 * (sa * sb - sab)))
}
set.seed(20261201)
B <- 20000
out <- list()
for (nm in sets) {
  d <- read.csv(file.path(refs, paste0(nm, ".csv")), check.names = FALSE)
  long <- rbind(
    data.frame(study = d$study, true = d$TP, n = d$TP + d$FN, sens = 1, spec = 0),
    data.frame(study = d$study, true = d$TN, n = d$TN + d$FP, sens = 0, spec = 1))
  fit <- glmmTMB(cbind(true, n - true) ~ 0 + sens + spec + (0 + sens + spec | study),
                 data = long, family = binomial,
                 control = glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-12)))
  p <- c(fit$fit$par[1:2], fit$fit$par[names(fit$fit$par) == "theta"])
  V <- fit$sdr$cov.fixed
  vc <- VarCorr(fit)$cond$study
  stopifnot(abs(attr(vc, "correlation")[1, 2] - p[5] / sqrt(1 + p[5]^2)) < 1e-8,
            abs(attr(vc, "stddev")[1] - exp(p[3])) < 1e-8)
  est <- hsroc(p)
  J <- jacobian(hsroc, p)
  se <- sqrt(diag(J %*% V %*% t(J)))
  L <- chol(V)
  draws <- t(apply(matrix(rnorm(B * 5), B, 5) %*% L, 1, function(z) hsroc(p + z)))
  ok <- apply(draws, 1, function(x) all(is.finite(x)))
  out[[nm]] <- list(
    k = nrow(d),
    mu = unname(p[1:2]), tau2 = unname(exp(2 * p[3:4])), rho = unname(p[5] / sqrt(1 + p[5]^2)),
    loglik = as.numeric(logLik(fit)),
    hsroc = list(Lambda = est[[1]], Theta = est[[2]], beta = est[[3]], sigma2_alpha = exp(est[[4]]), sigma2_theta = exp(est[[5]])),
    delta_se = list(Lambda = se[1], Theta = se[2], beta = se[3],
                    log_sigma2_alpha = se[4], log_sigma2_theta = se[5]),
    bootstrap_sd = as.list(setNames(apply(draws[ok, ], 2, sd), c("Lambda", "Theta", "beta", "log_sigma2_alpha", "log_sigma2_theta"))),
    bootstrap_draws = sum(ok))
}
out$versions <- list(R = R.version.string, glmmTMB = as.character(packageVersion("glmmTMB")),
                     TMB = as.character(packageVersion("TMB")),
                     numDeriv = as.character(packageVersion("numDeriv")),
                     jsonlite = as.character(packageVersion("jsonlite")))
out$conventions <- paste("Laplace fit (glmmTMB); delta_se from the inverse Hessian of (beta, theta) and a",
  "numDeriv Jacobian; SEs of the variances on the log scale (CI = exp(log est +- z se));",
  "bootstrap_sd: SD over", B, "draws theta* ~ N(theta_hat, V), seed 20261201")
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/refs-src/out/hsroc_delta.json")

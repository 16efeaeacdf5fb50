# Independent reference for the GRADE summary of findings (METHODS §17), written in R without
# looking at Fourfold's code paths: from the `own_aghq` mu and vcov of three refs data sets, the
# natural frequencies per 1,000 at the minimum / median / maximum study prevalence; intervals of
# the joint quantities by the delta method with a NUMERICAL gradient (central differences) on
# each quantity's logit, and, as a second check, percentiles of 200,000 draws from N(mu, V).
# Run from the repository root:  Rscript tests/refs-src/sof.R
suppressPackageStartupMessages({ library(jsonlite); library(MASS) })
refs <- "../shared/refs"
z <- qnorm(0.975)
N <- 1000
grad <- function(f, x, h = 1e-6) sapply(seq_along(x), function(j) {
  e <- rep(0, length(x)); e[j] <- h; (f(x + e) - f(x - e)) / (2 * h) })
out <- list()
set.seed(20240601)
for (name in c("audit_c", "dementia", "scheidler")) {
  ex <- fromJSON(file.path(refs, "expected", paste0(name, ".json")))
  d <- read.csv(file.path(refs, "data", paste0(name, ".csv")))
  fit <- ex$own_aghq
  mu <- c(fit$mu_logit_sens, fit$mu_logit_spec)
  V <- matrix(unlist(fit$vcov_mu), 2, 2, byrow = TRUE)
  n1 <- d$TP + d$FN; n0 <- d$FP + d$TN
  ok <- n1 > 0 & n0 > 0
  prev <- (n1 / (n1 + n0))[ok]
  ps <- unique(c(min(prev), median(prev), max(prev)))
  se <- sqrt(diag(V))
  sens <- plogis(mu[1]); spec <- plogis(mu[2])
  sens_ci <- plogis(mu[1] + c(-1, 1) * z * se[1]); spec_ci <- plogis(mu[2] + c(-1, 1) * z * se[2])
  draws <- mvrnorm(200000, mu, V)
  cols <- lapply(ps, function(p) {
    tpos <- function(m) qlogis(p * plogis(m[1]) + (1 - p) * (1 - plogis(m[2])))
    ppv  <- function(m) qlogis(p * plogis(m[1]) / (p * plogis(m[1]) + (1 - p) * (1 - plogis(m[2]))))
    npv  <- function(m) qlogis((1 - p) * plogis(m[2]) / ((1 - p) * plogis(m[2]) + p * (1 - plogis(m[1]))))
    delta <- function(f) { g <- grad(f, mu); s <- sqrt(drop(t(g) %*% V %*% g)); plogis(f(mu) + c(-1, 1) * z * s) }
    sim <- function(f) unname(quantile(plogis(apply(draws, 1, f)), c(0.025, 0.975)))
    list(prevalence = p,
         tp = c(N * p * sens, N * p * sens_ci), fn = c(N * p * (1 - sens), N * p * (1 - rev(sens_ci))),
         tn = c(N * (1 - p) * spec, N * (1 - p) * spec_ci), fp = c(N * (1 - p) * (1 - spec), N * (1 - p) * (1 - rev(spec_ci))),
         test_positives = c(N * plogis(tpos(mu)), N * delta(tpos)), ppv = c(plogis(ppv(mu)), delta(ppv)),
         npv = c(plogis(npv(mu)), delta(npv)),
         sim_test_positives = N * sim(tpos), sim_ppv = sim(ppv), sim_npv = sim(npv))
  })
  out[[name]] <- list(mu = mu, vcov = V, k = nrow(d), diseased = sum(n1), non_diseased = sum(n0), columns = cols)
}
out$versions <- list(R = R.version.string, jsonlite = as.character(packageVersion("jsonlite")),
                     MASS = as.character(packageVersion("MASS")))
out$note <- "columns: [estimate, lower, upper] per 1,000 (counts) or as proportions (ppv, npv); sim_* = 2.5/97.5 percentiles of 200000 draws from N(mu, V), seed 20240601"
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/refs-src/out/sof.json")

# References for Fourfold's three-level bivariate model (METHODS §15.3): cohorts (2×2 tables)
# within studies.
#  * smoking.csv (mada 0.5.12 `smoking`; Patrick et al. 1994; 51 tables from 26 studies by
#    `study_id`, provenance in ../shared/refs/data/SOURCES.md): each row a cohort.
#  * threelevel_synth.csv, generated here (seed 20261201) with known truth.
# Laplace: lme4::glmer(nAGQ = 1) with tight controls and glmmTMB, model
#   cbind(true, n - true) ~ 0 + sens + spec + (0 + sens + spec | study) + (0 + sens + spec | study:cohort)
# Exact check: an own nested adaptive Gauss-Hermite quadrature written here (outer rule centred at
# the mode of the marginal integrand in u found by optim, scaled by its numerical Hessian; inner
# rule per cohort at the conditional mode), evaluated at glmer's estimate.
# Run from the worktree root: Rscript tests/refs-src/threelevel.R > tests/refs-src/out/threelevel.json
suppressPackageStartupMessages({ library(lme4); library(glmmTMB); library(statmod); library(jsonlite) })

set.seed(20261201)
make_synth <- function() {
  S <- 40; mu <- c(1.5, 2.0)
  Ss <- matrix(c(0.5, -0.3*sqrt(0.5*0.4), -0.3*sqrt(0.5*0.4), 0.4), 2)
  Sc <- matrix(c(0.3, 0.2*sqrt(0.3*0.2), 0.2*sqrt(0.3*0.2), 0.2), 2)
  rows <- list()
  for (i in 1:S) { u <- t(chol(Ss)) %*% rnorm(2); C <- sample(1:4, 1)
    for (c in 1:C) { v <- t(chol(Sc)) %*% rnorm(2); eta <- mu + u + v
      n1 <- sample(30:150, 1); n0 <- sample(60:300, 1)
      tp <- rbinom(1, n1, plogis(eta[1])); tn <- rbinom(1, n0, plogis(eta[2]))
      rows[[length(rows) + 1]] <- data.frame(study = sprintf("S%02d [%d]", i, c), TP = tp, FP = n0 - tn, FN = n1 - tp, TN = tn, study_id = sprintf("S%02d", i), cohort = sprintf("C%d", c)) } }
  list(data = do.call(rbind, rows), truth = list(mu = mu, Sigma_study = Ss, Sigma_cohort = Sc))
}
syn <- make_synth()
write.csv(syn$data, "tests/refs-src/out/threelevel_synth.csv", row.names = FALSE)

ctrl <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-11, optCtrl = list(maxfun = 1e5, rhoend = 1e-10))
M_GH <- function(m) gauss.quad(m, "hermite")
l1pe <- function(x) ifelse(x > 0, x + log1p(exp(-x)), log1p(exp(x)))  # ln(1 + e^x), stable

fit_one <- function(d, name) {
  d$cohort_key <- seq_len(nrow(d))
  n1 <- d$TP + d$FN; n0 <- d$FP + d$TN
  long <- data.frame(study = factor(rep(d$study_id, 2)), cohort = factor(rep(d$cohort_key, 2)),
    sens = rep(c(1, 0), each = nrow(d)), spec = rep(c(0, 1), each = nrow(d)), true = c(d$TP, d$TN), n = c(n1, n0))
  f <- glmer(cbind(true, n - true) ~ 0 + sens + spec + (0 + sens + spec | study) + (0 + sens + spec | study:cohort),
    data = long, family = binomial, control = ctrl)
  ft <- glmmTMB(cbind(true, n - true) ~ 0 + sens + spec + (0 + sens + spec | study) + (0 + sens + spec | study:cohort),
    data = long, family = binomial, control = glmmTMBControl(optCtrl = list(iter.max = 1e4, eval.max = 1e4, rel.tol = 1e-14)))
  vc <- VarCorr(f); Ss <- as.matrix(vc[["study"]]); Sc <- as.matrix(vc[["study:cohort"]])
  vt <- VarCorr(ft)$cond
  # Nested adaptive GHQ at glmer's estimate.
  mu <- unname(fixef(f)); Ls <- t(chol(Ss + diag(1e-300, 2))); Lc <- t(chol(Sc + diag(1e-300, 2)))
  lc <- lchoose(n1, d$TP) + lchoose(n0, d$TN)
  inner <- function(rows, a, m) {  # ln ∫ Π f(a + Lc b) φ(b) db, adaptive
    gfun <- function(b) { eta <- a + Lc %*% b; sum(lc[rows] + d$TP[rows]*eta[1] - n1[rows]*l1pe(eta[1]) + d$TN[rows]*eta[2] - n0[rows]*l1pe(eta[2])) - 0.5*sum(b^2) }
    b <- c(0, 0)
    for (it in 1:100) { eta <- a + Lc %*% b; p <- plogis(eta)
      s <- c(sum(d$TP[rows] - n1[rows]*p[1]), sum(d$TN[rows] - n0[rows]*p[2]))
      D <- diag(c(sum(n1[rows])*p[1]*(1-p[1]), sum(n0[rows])*p[2]*(1-p[2])))
      st <- solve(t(Lc) %*% D %*% Lc + diag(2), t(Lc) %*% s - b); b <- b + st; if (max(abs(st)) < 1e-12) break }
    eta <- a + Lc %*% b; p <- plogis(eta)
    D <- diag(c(sum(n1[rows])*p[1]*(1-p[1]), sum(n0[rows])*p[2]*(1-p[2])))
    R <- t(chol(solve(t(Lc) %*% D %*% Lc + diag(2)))); gh <- M_GH(m)
    tm <- c(); for (j in 1:m) for (l in 1:m) { z <- c(gh$nodes[j], gh$nodes[l]); tm <- c(tm, log(gh$weights[j]*gh$weights[l]) + gfun(b + sqrt(2)*R %*% z) + sum(z^2)) }
    mx <- max(tm); -log(2*pi) + log(2) + log(det(R)) + mx + log(sum(exp(tm - mx)))
  }
  nested <- function(m) { tot <- 0
    for (s in unique(d$study_id)) { rows <- which(d$study_id == s)
      h <- function(u) { a <- mu + Ls %*% u; sum(sapply(rows, function(r) inner(r, a, m))) - 0.5*sum(u^2) }
      o <- optim(c(0, 0), function(u) -h(u), method = "BFGS", control = list(reltol = 1e-14))
      H <- optimHess(o$par, function(u) -h(u)); R <- t(chol(solve(H))); gh <- M_GH(m)
      tm <- c(); for (j in 1:m) for (l in 1:m) { z <- c(gh$nodes[j], gh$nodes[l]); tm <- c(tm, log(gh$weights[j]*gh$weights[l]) + h(o$par + sqrt(2)*R %*% z) + sum(z^2)) }
      mx <- max(tm); tot <- tot + (-log(2*pi) + log(2) + log(det(R)) + mx + log(sum(exp(tm - mx)))) }
    tot }
  list(data = name,
    glmer_laplace_tight = list(mu = mu, vcov = unname(as.matrix(vcov(f))), Sigma_study = unname(Ss), Sigma_cohort = unname(Sc),
      loglik = as.numeric(logLik(f)), chol_study = c(Ls[1,1], Ls[2,1], Ls[2,2]), chol_cohort = c(Lc[1,1], Lc[2,1], Lc[2,2])),
    glmmTMB_laplace = list(mu = unname(fixef(ft)$cond), vcov = unname(as.matrix(vcov(ft)$cond)), Sigma_study = unname(vt[["study"]][,]),
      Sigma_cohort = unname(vt[["study:cohort"]][,]), loglik = as.numeric(logLik(ft))),
    own_nested_aghq_at_glmer_estimate = list(m20 = nested(20)))
}
sm <- read.csv("../shared/refs/data/smoking.csv")
out <- list(smoking = fit_one(sm, "smoking.csv"), synth = c(fit_one(syn$data, "threelevel_synth.csv"), list(truth = syn$truth)),
  versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), glmmTMB = as.character(packageVersion("glmmTMB")), statmod = as.character(packageVersion("statmod"))))
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE))

# Reference for Fourfold's HSROC meta-regression (METHODS §16) on anti_ccp by `generation`
# (Cochrane DTA Handbook v2 example; data provenance in ../shared/refs/data/SOURCES.md).
# Independent of Fourfold's code: the HSROC likelihood is written here from the model
#   logit Se = exp(-b/2)(theta + alpha/2), logit Sp = -exp(b/2)(theta - alpha/2),
#   theta ~ N(Theta_g, s2t), alpha ~ N(Lambda_g, s2a),
# integrated by 2-D adaptive Gauss-Hermite quadrature (statmod nodes, mode by Newton on the
# (theta, alpha) scale), maximised by nlminb from the bivariate fit's implied values.
# Bivariate models by lme4::glmer (Laplace, tight) and by the same own AGHQ.
# Run: Rscript tests/refs-src/hsroc_reg.R > tests/refs-src/out/hsroc_reg.json
suppressPackageStartupMessages({ library(lme4); library(statmod); library(jsonlite) })
d <- read.csv("../shared/refs/data/anti_ccp.csv")
lev <- sort(unique(d$generation)); g <- match(d$generation, lev); L <- length(lev)
n1 <- d$TP + d$FN; n0 <- d$FP + d$TN
lc <- lchoose(n1, d$TP) + lchoose(n0, d$TN)
M <- 25
gh <- gauss.quad(M, "hermite")

# ln ∫ f(mean + B u) phi(u) du for one study, adaptive at the mode of u.
lint <- function(i, mean, B) {
  gfun <- function(u) { eta <- mean + B %*% u
    lc[i] + d$TP[i]*eta[1] - n1[i]*log1p(exp(eta[1])) + d$TN[i]*eta[2] - n0[i]*log1p(exp(eta[2])) - 0.5*sum(u^2) }
  u <- c(0, 0)
  for (it in 1:100) {
    eta <- mean + B %*% u; p <- plogis(eta)
    s <- c(d$TP[i] - n1[i]*p[1], d$TN[i] - n0[i]*p[2]); D <- diag(c(n1[i]*p[1]*(1-p[1]), n0[i]*p[2]*(1-p[2])))
    H <- t(B) %*% D %*% B + diag(2); step <- solve(H, t(B) %*% s - u)
    t <- 1; g0 <- gfun(u)
    while (gfun(u + t*step) < g0 - 1e-12 && t > 1e-8) t <- t/2
    u <- u + t*step
    if (max(abs(t*step)) < 1e-12) break
  }
  eta <- mean + B %*% u; p <- plogis(eta)
  D <- diag(c(n1[i]*p[1]*(1-p[1]), n0[i]*p[2]*(1-p[2])))
  R <- t(chol(solve(t(B) %*% D %*% B + diag(2))))
  Z <- rbind(rep(gh$nodes, each = M), rep(gh$nodes, M)); LW <- rep(log(gh$weights), each = M) + rep(log(gh$weights), M)
  U <- u %*% t(rep(1, M*M)) + sqrt(2) * R %*% Z; E <- as.vector(mean) + B %*% U
  tm <- LW + lc[i] + d$TP[i]*E[1,] - n1[i]*log1p(exp(E[1,])) + d$TN[i]*E[2,] - n0[i]*log1p(exp(E[2,])) - 0.5*colSums(U^2) + colSums(Z^2)
  mx <- max(tm); -log(2*pi) + log(2) + log(det(R)) + mx + log(sum(exp(tm - mx)))
}
Amat <- function(b) matrix(c(exp(-b/2), -exp(b/2), 0.5*exp(-b/2), 0.5*exp(b/2)), 2, 2)
# par = Theta_g (L), Lambda_g (L), beta_g (L), sigma_theta, sigma_alpha; `on` says which vary by g.
unpack <- function(par, on) { at <- 0; out <- list()
  for (nm in c("Theta", "Lambda", "beta")) { if (on[[nm]]) { out[[nm]] <- par[at + 1:L]; at <- at + L } else { out[[nm]] <- rep(par[at + 1], L); at <- at + 1 } }
  out$st <- par[at + 1]; out$sa <- par[at + 2]; out }
hsroc_ll <- function(par, on) tryCatch(hsroc_ll0(par, on), error = function(e) -1e100)
hsroc_ll0 <- function(par, on) { p <- unpack(par, on); s <- 0
  for (i in seq_len(nrow(d))) { A <- Amat(p$beta[g[i]])
    s <- s + lint(i, A %*% c(p$Theta[g[i]], p$Lambda[g[i]]), A %*% diag(c(p$st, p$sa))) }
  if (is.finite(s)) s else -1e100 }
# Start from the bivariate common-Sigma meta-regression by glmer.
long <- data.frame(study = rep(d$study, 2), sens = rep(c(1, 0), each = nrow(d)), spec = rep(c(0, 1), each = nrow(d)),
  true = c(d$TP, d$TN), n = c(n1, n0), gen = rep(d$generation, 2))
long$x <- as.numeric(long$gen == lev[2])
ctrl <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-11, optCtrl = list(maxfun = 1e5, rhoend = 1e-10))
fb <- glmer(cbind(true, n - true) ~ 0 + sens + spec + I(sens*x) + I(spec*x) + (0 + sens + spec | study), data = long, family = binomial, control = ctrl)
f0 <- glmer(cbind(true, n - true) ~ 0 + sens + spec + (0 + sens + spec | study), data = long, family = binomial, control = ctrl)
S <- as.matrix(VarCorr(fb)$study); b <- fixef(fb)
h_of <- function(m1, m2) { sa <- sqrt(S[1,1]); sb <- sqrt(S[2,2]); r <- sqrt(sb/sa)
  c(Lambda = r*m1 + m2/r, Theta = 0.5*(r*m1 - m2/r), beta = log(sb/sa), s2a = 2*(sa*sb + S[1,2]), s2t = 0.5*(sa*sb - S[1,2])) }
b <- unname(b); h1 <- h_of(b[1], b[2]); h2 <- h_of(b[1] + b[3], b[2] + b[4])
fitm <- function(on) {
  st <- c(); for (nm in c("Theta", "Lambda", "beta")) st <- c(st, if (on[[nm]]) c(h1[nm], h2[nm]) else h1[nm])
  st <- c(st, sqrt(h1["s2t"]), sqrt(h1["s2a"]))
  o <- nlminb(unname(st), function(p) -hsroc_ll(p, on), control = list(eval.max = 5000, iter.max = 2000, rel.tol = 1e-14, x.tol = 1e-12))
  list(loglik = -o$objective, par = o$par, convergence = o$convergence, message = o$message) }
mk <- function(a, t, s) list(Lambda = a, Theta = t, beta = s)
models <- list(
  full = fitm(mk(TRUE, TRUE, TRUE)), threshold_shape = fitm(mk(FALSE, TRUE, TRUE)), accuracy_shape = fitm(mk(TRUE, FALSE, TRUE)),
  accuracy_threshold = fitm(mk(TRUE, TRUE, FALSE)), threshold = fitm(mk(FALSE, TRUE, FALSE)), accuracy = fitm(mk(TRUE, FALSE, FALSE)),
  none = fitm(mk(FALSE, FALSE, FALSE)))
# Separate bivariate fits per level: glmer tight (Laplace) and own AGHQ (the HSROC model with every
# parameter per level is exactly that model).
sep_glmer <- sapply(lev, function(l) { dl <- long[long$gen == l, ]
  logLik(glmer(cbind(true, n - true) ~ 0 + sens + spec + (0 + sens + spec | study), data = dl, family = binomial, control = ctrl)) })
sep_own <- sapply(seq_len(L), function(gg) {
  keep <- which(g == gg); ll1 <- function(par) { s <- 0; A <- Amat(par[3])
    for (i in keep) s <- s + lint(i, A %*% par[1:2], A %*% diag(par[4:5])); s }
  st <- unname(c(h1["Theta"], h1["Lambda"], h1["beta"], sqrt(h1["s2t"]), sqrt(h1["s2a"])))
  -nlminb(st, function(p) -ll1(p), control = list(eval.max = 5000, iter.max = 2000, rel.tol = 1e-14))$objective })
out <- list(
  data = "anti_ccp.csv", covariate = "generation", levels = lev, nodes = M,
  hsroc_own_aghq = models,
  glmer_laplace_tight = list(coef = as.list(fixef(fb)), vcov = unname(as.matrix(vcov(fb))), Sigma = unname(S), loglik = as.numeric(logLik(fb)), loglik_null = as.numeric(logLik(f0)),
    separate_loglik = unname(sep_glmer)),
  separate_own_aghq_loglik = unname(sep_own),
  versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")), statmod = as.character(packageVersion("statmod"))),
  notes = "hsroc_own_aghq par order: (Theta per level if varying else common), (Lambda ...), (beta ...), sigma_theta, sigma_alpha (signed; square for variances)")
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE))

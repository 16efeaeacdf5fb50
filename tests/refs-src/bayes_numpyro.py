"""Reference posteriors for Fourfold's Bayesian bivariate model, made with NumPyro's NUTS.

The SAME model and priors as src/stats/bayes/model.rs (MetaBayesDTA's BVM.stan defaults):
    mu_j ~ Normal(m_j, s_j); sigma_j ~ HalfNormal(scale_j); L_Omega ~ LKJCholesky(2, eta)
    z_i ~ Normal(0, I_2); logit_pi_i = mu + diag(sigma) L_Omega z_i
    TP_i ~ Binomial(n1_i, expit(logit_pi_i[0])); TN_i ~ Binomial(n0_i, expit(logit_pi_i[1]))

Output: tests/refs-src/out/bayes_numpyro.json with, per data set and prior, the posterior mean,
2.5 / 50 / 97.5 % quantiles and their Monte Carlo SEs (ArviZ mcse_mean / mcse_quantile), R-hat and
ESS of every summary quantity; plus a diagnostics fixture: raw draws (rounded to 6 significant
digits) of three quantities with ArviZ's R-hat, bulk/tail ESS and MCSE computed on those rounded
draws, for checking Fourfold's own estimators on the same numbers.

Run: python3 tests/refs-src/bayes_numpyro.py /path/to/refs/data   (about 2 minutes on 2 cores)
"""
import json
import sys
import time

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.infer import MCMC, NUTS

numpyro.set_host_device_count(1)
jax.config.update("jax_enable_x64", True)

DEFAULT = dict(mu_se=(0.0, 1.5), mu_sp=(0.0, 1.5), tau_se=1.0, tau_sp=1.0, eta=2.0)
VAGUE = dict(mu_se=(0.0, 10.0), mu_sp=(0.0, 10.0), tau_se=5.0, tau_sp=5.0, eta=1.0)


def model(tp, n1, tn, n0, pr):
    k = tp.shape[0]
    mu_se = numpyro.sample("mu_se", dist.Normal(*pr["mu_se"]))
    mu_sp = numpyro.sample("mu_sp", dist.Normal(*pr["mu_sp"]))
    tau_se = numpyro.sample("tau_se", dist.HalfNormal(pr["tau_se"]))
    tau_sp = numpyro.sample("tau_sp", dist.HalfNormal(pr["tau_sp"]))
    L = numpyro.sample("L", dist.LKJCholesky(2, concentration=pr["eta"]))
    z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([k, 2]).to_event(2))
    rho = L[1, 0]
    e1 = mu_se + tau_se * z[:, 0]
    e2 = mu_sp + tau_sp * (rho * z[:, 0] + L[1, 1] * z[:, 1])
    numpyro.deterministic("rho", rho)
    numpyro.sample("tp", dist.Binomial(n1, logits=e1), obs=tp)
    numpyro.sample("tn", dist.Binomial(n0, logits=e2), obs=tn)


def read(path):
    import csv

    rows = list(csv.DictReader(open(path)))
    tp = np.array([int(r["TP"]) for r in rows])
    fp = np.array([int(r["FP"]) for r in rows])
    fn = np.array([int(r["FN"]) for r in rows])
    tn = np.array([int(r["TN"]) for r in rows])
    return tp, tp + fn, tn, tn + fp


def derived(s):
    se = 1 / (1 + np.exp(-s["mu_se"]))
    sp = 1 / (1 + np.exp(-s["mu_sp"]))
    return {
        "mu_se": s["mu_se"], "mu_sp": s["mu_sp"], "tau_se": s["tau_se"], "tau_sp": s["tau_sp"],
        "rho": s["rho"], "se": se, "sp": sp, "lr_pos": se / (1 - sp), "lr_neg": (1 - se) / sp,
        "dor": np.exp(s["mu_se"] + s["mu_sp"]),
    }


def run(data_dir, name, pr, seed, warmup=2000, draws=2500, chains=4):
    tp, n1, tn, n0 = read(f"{data_dir}/{name}.csv")
    kernel = NUTS(model, target_accept_prob=0.9)
    mcmc = MCMC(kernel, num_warmup=warmup, num_samples=draws, num_chains=chains,
                chain_method="sequential", progress_bar=False)
    t0 = time.time()
    mcmc.run(jax.random.PRNGKey(seed), jnp.array(tp), jnp.array(n1), jnp.array(tn), jnp.array(n0), pr)
    secs = time.time() - t0
    s = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    d = derived(s)
    div = int(np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"]).sum())
    out = {}
    for k, v in d.items():
        idata = az.convert_to_dataset({k: v})
        q = np.quantile(v.ravel(), [0.025, 0.5, 0.975])
        out[k] = {
            "mean": float(v.mean()),
            "q025": float(q[0]), "q50": float(q[1]), "q975": float(q[2]),
            "mcse_mean": float(az.mcse(idata, method="mean")[k]),
            "mcse_q025": float(az.mcse(idata, method="quantile", prob=0.025)[k]),
            "mcse_q50": float(az.mcse(idata, method="quantile", prob=0.5)[k]),
            "mcse_q975": float(az.mcse(idata, method="quantile", prob=0.975)[k]),
            "rhat": float(az.rhat(idata)[k]),
            "ess_bulk": float(az.ess(idata, method="bulk")[k]),
            "ess_tail": float(az.ess(idata, method="tail")[k]),
        }
    return out, div, secs, d


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else "../shared/refs/data"
    result = {
        "generated_by": "tests/refs-src/bayes_numpyro.py",
        "versions": {"numpyro": numpyro.__version__, "jax": jax.__version__, "arviz": az.__version__,
                     "numpy": np.__version__, "python": sys.version.split()[0]},
        "settings": {"chains": 4, "warmup": 2000, "draws": 2500, "target_accept_prob": 0.9,
                     "chain_method": "sequential", "x64": True},
        "priors": {"default": DEFAULT, "vague": VAGUE},
        "fits": {},
    }
    plan = [(n, "default") for n in ["audit4", "telomerase", "audit_c", "skin_tests", "dementia"]]
    plan += [("schuetz", "vague"), ("smoking", "vague")]
    fixture_draws = None
    for i, (name, prior) in enumerate(plan):
        pr = DEFAULT if prior == "default" else VAGUE
        out, div, secs, d = run(data_dir, name, pr, seed=1000 + i)
        result["fits"][f"{name}/{prior}"] = {"dataset": name, "prior": prior, "seed": 1000 + i,
                                              "divergences": div, "seconds": secs, "summary": out}
        print(name, prior, "divergences", div, f"{secs:.1f}s",
              {k: round(v["q50"], 4) for k, v in out.items() if k.startswith("mu")}, flush=True)
        if name == "telomerase":
            fixture_draws = d
    # Diagnostics fixture: draws of three quantities of the telomerase run (first 1000 per chain:
    # small enough to commit), rounded, with ArviZ's numbers on the rounded draws.
    fx = {}
    for k in ["mu_se", "tau_sp", "rho"]:
        v = np.array([[float(f"{x:.6g}") for x in ch[:1000]] for ch in fixture_draws[k]])
        ds = az.convert_to_dataset({k: v})
        fx[k] = {"draws": v.tolist(), "rhat": float(az.rhat(ds)[k]),
                 "ess_bulk": float(az.ess(ds, method="bulk")[k]),
                 "ess_tail": float(az.ess(ds, method="tail")[k]),
                 "mcse_mean": float(az.mcse(ds, method="mean")[k]),
                 "mcse_q975": float(az.mcse(ds, method="quantile", prob=0.975)[k])}
    result["diagnostics_fixture"] = fx
    with open("tests/refs-src/out/bayes_numpyro.json", "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()

"""Reference posteriors for Fourfold's latent-class model (imperfect reference standard), made with
NumPyro's NUTS.

The SAME model and priors as src/stats/bayes/latent.rs:
  index test: the bivariate model of bayes_numpyro.py (MetaBayesDTA's defaults) with study-level
    bivariate random effects, non-centred: logit s_i = mu1 + tau1 z1_i,
    logit c_i = mu2 + tau2 (rho z1_i + sqrt(1 - rho^2) z2_i)
  reference standard: logit s_R ~ N(2.2, 0.5), logit c_R ~ N(2.9, 0.5), common to all studies
  prevalences p_i ~ Beta(1, 1)
  cells (TP, FN, FP, TN) = (index+ ref+, index- ref+, index+ ref-, index- ref-) ~ Multinomial with
    conditional independence of the two tests given the true status.

Output: tests/refs-src/out/bayes_lcm_numpyro.json (posterior mean, 2.5/50/97.5 % quantiles and their
ArviZ MCSEs of mu, tau, rho, Se, Sp of the index test and of the reference's Se, Sp).

Run: python3 tests/refs-src/bayes_lcm_numpyro.py /path/to/refs/data
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
from numpyro.infer import MCMC, NUTS, init_to_value

numpyro.set_host_device_count(1)
jax.config.update("jax_enable_x64", True)

PRIORS = dict(mu_se=(0.0, 1.5), mu_sp=(0.0, 1.5), tau_se=1.0, tau_sp=1.0, eta=2.0,
              se_ref=(2.2, 0.5), sp_ref=(2.9, 0.5), prevalence=(1.0, 1.0))


def model(cells, pr):
    k = cells.shape[0]
    mu_se = numpyro.sample("mu_se", dist.Normal(*pr["mu_se"]))
    mu_sp = numpyro.sample("mu_sp", dist.Normal(*pr["mu_sp"]))
    tau_se = numpyro.sample("tau_se", dist.HalfNormal(pr["tau_se"]))
    tau_sp = numpyro.sample("tau_sp", dist.HalfNormal(pr["tau_sp"]))
    L = numpyro.sample("L", dist.LKJCholesky(2, concentration=pr["eta"]))
    z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([k, 2]).to_event(2))
    lsr = numpyro.sample("logit_se_ref", dist.Normal(*pr["se_ref"]))
    lcr = numpyro.sample("logit_sp_ref", dist.Normal(*pr["sp_ref"]))
    p = numpyro.sample("prev", dist.Beta(*pr["prevalence"]).expand([k]).to_event(1))
    rho = L[1, 0]
    numpyro.deterministic("rho", rho)
    si = jax.nn.sigmoid(mu_se + tau_se * z[:, 0])
    ci = jax.nn.sigmoid(mu_sp + tau_sp * (rho * z[:, 0] + L[1, 1] * z[:, 1]))
    sr, cr = jax.nn.sigmoid(lsr), jax.nn.sigmoid(lcr)
    probs = jnp.stack([
        p * sr * si + (1 - p) * (1 - cr) * (1 - ci),
        p * sr * (1 - si) + (1 - p) * (1 - cr) * ci,
        p * (1 - sr) * si + (1 - p) * cr * (1 - ci),
        p * (1 - sr) * (1 - si) + (1 - p) * cr * ci,
    ], axis=-1)
    numpyro.sample("cells", dist.Multinomial(total_count=cells.sum(-1), probs=probs), obs=cells)


def read(path):
    import csv

    rows = list(csv.DictReader(open(path)))
    return np.array([[int(r["TP"]), int(r["FN"]), int(r["FP"]), int(r["TN"])] for r in rows])


def run(data_dir, name, seed, warmup=2000, draws=2500, chains=4):
    cells = read(f"{data_dir}/{name}.csv")
    k = cells.shape[0]
    # Started like Fourfold's chains: accurate index test (mu = 1.5) and the reference prior means,
    # away from the mirror mode (Se <-> 1 - Sp of both tests).
    init = init_to_value(values={"mu_se": 1.5, "mu_sp": 1.5, "logit_se_ref": 2.2, "logit_sp_ref": 2.9,
                                 "prev": jnp.full(k, 0.3)})
    kernel = NUTS(model, target_accept_prob=0.9, init_strategy=init)
    mcmc = MCMC(kernel, num_warmup=warmup, num_samples=draws, num_chains=chains,
                chain_method="sequential", progress_bar=False)
    t0 = time.time()
    mcmc.run(jax.random.PRNGKey(seed), jnp.array(cells), PRIORS)
    secs = time.time() - t0
    s = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    sig = lambda x: 1 / (1 + np.exp(-x))
    d = {"mu_se": s["mu_se"], "mu_sp": s["mu_sp"], "tau_se": s["tau_se"], "tau_sp": s["tau_sp"],
         "rho": s["rho"], "se": sig(s["mu_se"]), "sp": sig(s["mu_sp"]),
         "se_ref": sig(s["logit_se_ref"]), "sp_ref": sig(s["logit_sp_ref"])}
    div = int(np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"]).sum())
    out = {}
    for key, v in d.items():
        ds = az.convert_to_dataset({key: v})
        q = np.quantile(v.ravel(), [0.025, 0.5, 0.975])
        out[key] = {
            "mean": float(v.mean()), "q025": float(q[0]), "q50": float(q[1]), "q975": float(q[2]),
            "mcse_mean": float(az.mcse(ds, method="mean")[key]),
            "mcse_q025": float(az.mcse(ds, method="quantile", prob=0.025)[key]),
            "mcse_q975": float(az.mcse(ds, method="quantile", prob=0.975)[key]),
            "rhat": float(az.rhat(ds)[key]),
            "ess_bulk": float(az.ess(ds, method="bulk")[key]),
        }
    return out, div, secs


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else "../shared/refs/data"
    result = {
        "generated_by": "tests/refs-src/bayes_lcm_numpyro.py",
        "versions": {"numpyro": numpyro.__version__, "jax": jax.__version__, "arviz": az.__version__,
                     "numpy": np.__version__, "python": sys.version.split()[0]},
        "settings": {"chains": 4, "warmup": 2000, "draws": 2500, "target_accept_prob": 0.9,
                     "chain_method": "sequential", "x64": True},
        "priors": PRIORS,
        "fits": {},
    }
    for i, name in enumerate(["audit4", "audit_c"]):
        out, div, secs = run(data_dir, name, seed=2000 + i)
        result["fits"][name] = {"dataset": name, "seed": 2000 + i, "divergences": div, "seconds": secs,
                                "summary": out}
        print(name, "divergences", div, f"{secs:.1f}s", {k: round(v["q50"], 4) for k, v in out.items()},
              {k: round(v["rhat"], 4) for k, v in out.items()}, flush=True)
    with open("tests/refs-src/out/bayes_lcm_numpyro.json", "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()

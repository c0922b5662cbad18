#!/usr/bin/env python3
"""How strongly does the contrastive term pull on the encoder, against the reconstruction?

    python research/grad_ratio.py DATA [RUN] [--which best] [--rho 0.2,2] [--batches 20] [--seed 0] [--out OUT.json]

For `ours` (the configuration of RUN, or a new `tiny` network from --seed when no RUN is given) and each value of
ρ (the feature term's weight in Eq. 2), on --batches training batches drawn as training draws them: the gradient of
the reconstruction term (Eq. 2) and of the weighted contrastive term (α times Eq. 6) with respect to the encoder's
parameters, the shared backbone and the `I_tv` head apart. It reports the median over batches of the ratio of their
norms, ‖∇ α L_DSL‖ / ‖∇ L_reconst‖, and the α that would make the two equal at the backbone (α / ratio). Nothing is
trained; the network is the same in every setting, only ρ changes the reconstruction's scale."""
import json, sys
from pathlib import Path
import numpy as np
import torch


def fail(msg: str):
    print(f"grad_ratio: error: {msg}", file=sys.stderr)
    sys.exit(2)


def encoder_grads(obj, batch, rng, d_max: int) -> dict:
    "Gradient norms of the two terms at the encoder's backbone and `I_tv` head: {term: {part: norm}}."
    from tvti.losses import reconstruction_loss, dsl_all
    c, enc = obj.cfg, obj.model.encoder
    out = obj.run_model(batch, rng)
    rec, _ = reconstruction_loss(batch["frames"], out["I_rec"], obj.perceptual, c.lam, c.rho)
    r, n, i, a = obj.code(out).chunk(4)
    t = batch["t"].chunk(4)
    dsl = c.alpha * dsl_all(r, n, i, a, (t[1] - t[0]).abs(), (t[2] - t[0]).abs(), (t[3] - t[0]).abs(), d_max)
    parts = {"backbone": list(enc.backbone.parameters()), "tv_head": list(enc.tv_head.parameters())}
    res = {}
    for name, term in (("reconst", rec), ("contrastive", dsl)):
        res[name] = {}
        for p, ps in parts.items():
            g = torch.autograd.grad(term, ps, retain_graph=True, allow_unused=True)
            res[name][p] = float(torch.sqrt(sum((x.float() ** 2).sum() for x in g if x is not None)))
    return res


def main(argv):
    import argparse, warnings
    ap = argparse.ArgumentParser(prog="grad_ratio", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="a dataset folder (tvti-synth or tvti-ingest output)")
    ap.add_argument("run", nargs="?", help="a tvti-train run folder of ours (default: an untrained tiny network)")
    ap.add_argument("--which", default="best",
                    help="RUN's checkpoint: best (default), latest, or e.g. step_000500 (tvti-bench --curve)")
    ap.add_argument("--rho", default="0.2,2",
                    help="comma-separated values of ρ to compare (default 0.2,2: ours and the paper's)")
    ap.add_argument("--batches", type=int, default=20, help="training batches measured (default 20)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="write the results to this JSON file")
    a = ap.parse_args(argv)
    try:
        rhos = [float(x) for x in a.rho.split(",")]
    except ValueError:
        fail(f"--rho {a.rho!r}: expected comma-separated numbers, e.g. 0.2,2")
    if a.batches < 1 or any(r < 0 for r in rhos):
        fail(f"--batches {a.batches} must be at least 1 and --rho values at least 0")
    from dataclasses import replace
    from tvti.core import TvtiError, seed_everything
    from tvti.data import load_dataset
    from tvti.sampling import BatchMaker
    from tvti.variants import get_variant
    from tvti.pose import load_run
    from tvti.variants import Objective
    from tvti.config import get_config
    try:
        ds = load_dataset(a.data)
        seed_everything(a.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if a.run and not (Path(a.run) / "config.json").is_file():
                fail(f"{a.run}: not a tvti-train run folder (no config.json)")
            if a.run and not (Path(a.run) / "checkpoints" / f"{a.which}.pt").is_file():
                fail(f"{a.run}: has no checkpoint {a.which}.pt (--which)")
            base = load_run(a.run, a.which) if a.run else Objective(get_variant("ours"), get_config("tiny"))
        if base.v.name != "ours" or base.v.contrastive != "dsl":
            fail(f"{a.run}: a {base.v.name!r} run; the ratio is measured for ours (DSL)")
        bm = BatchMaker(ds, "train")
        base.d_pos = bm.sampler.d_pos
        res = {"data": str(a.data), "run": a.run, "which": a.which if a.run else None, "alpha": base.cfg.alpha,
               "lam": base.cfg.lam, "perceptual": base.perceptual.source, "batches": a.batches, "rho": {}}
        for rho in rhos:
            base.cfg = base.model.cfg = replace(base.cfg, rho=rho)
            base.train()
            rng = np.random.default_rng(a.seed)
            torch.manual_seed(a.seed)
            norms = [encoder_grads(base, bm.tuples(4, rng), rng, bm.sampler.d_max) for _ in range(a.batches)]
            median = lambda f: {p: float(np.median([f(n, p) for n in norms])) for p in ("backbone", "tv_head")}
            ratio = median(lambda n, p: n["contrastive"][p] / n["reconst"][p])
            res["rho"][f"{rho:g}"] = {"ratio": ratio, "alpha_equal": base.cfg.alpha / ratio["backbone"],
                                      "reconst_norm": median(lambda n, p: n["reconst"][p]),
                                      "contrastive_norm": median(lambda n, p: n["contrastive"][p])}
    except TvtiError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{e.filename or a.data}: {e.strerror}")
    source = " from " + a.run if a.run else " (untrained)"
    print(f"ours{source}, α = {res['alpha']}, λ = {res['lam']}, Eq. 2 on {res['perceptual']}; "
          f"medians over {a.batches} batches of ‖∇ α L_DSL‖ / ‖∇ L_reconst‖:")
    for rho, r in res["rho"].items():
        print(f"  ρ = {rho}: backbone {r['ratio']['backbone']:.3g}, I_tv head {r['ratio']['tv_head']:.3g}; "
              f"equal at the backbone with α = {r['alpha_equal']:.3g}")
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/python3
"""Independent reference of the flow-matching schedule and solvers (spec section 4.2, 4.4),
in float64: the shifted sigma schedule, Euler, and UniPC (order 2, predict-x0, bh2, lower order
at the final step; the corrector's 2x2 system solved with torch.linalg.solve).
Inputs as for `kino models run euler|unipc`: x, v [K, ...], steps, shift. Writes x, trajectory,
sigmas, timesteps.

usage: flow_sampler_reference.py --sampler unipc --in in.safetensors --out out.safetensors"""
import argparse
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_lite  # noqa: E402

F = torch.float64


def schedule(steps, shift):
    base = np.linspace(0.999, 0.0, steps + 1)[:-1]
    shifted = shift * base / (1 + (shift - 1) * base)
    timesteps = (shifted * 1000).astype(np.int64)
    sigmas = np.concatenate([shifted, [0.0]]).astype(np.float32).astype(np.float64)
    return sigmas.tolist(), timesteps.tolist()


def lam(s):
    return math.inf if s == 0 else math.log(1 - s) - math.log(s)


def euler(x, vs, sigmas):
    out = [x]
    for k, v in enumerate(vs):
        x = x + (sigmas[k + 1] - sigmas[k]) * v
        out.append(x)
    return out


def unipc(x, vs, sigmas):
    n = len(sigmas) - 1
    ms, last_x, last_order, out = [], None, 0, [x]
    for k, v in enumerate(vs):
        s = sigmas[k]
        m = x - s * v
        if k > 0:  # corrector with the order the previous predictor used
            sp = sigmas[k - 1]
            h = lam(s) - lam(sp)
            hh = -h
            phi1 = math.expm1(hh)
            bh = math.expm1(hh)
            xhat = s / sp * last_x - (1 - s) * phi1 * ms[-1]
            if last_order == 1:
                x = xhat - (1 - s) * bh * 0.5 * (m - ms[-1])
            else:
                r = (lam(sigmas[k - 2]) - lam(sp)) / h
                d = (ms[-2] - ms[-1]) / r
                g, fact, b = phi1 / hh - 1, 1, []
                for i in (1, 2):
                    b.append(g * fact / bh)
                    fact *= i + 1
                    g = g / hh - 1 / fact
                rho = torch.linalg.solve(torch.tensor([[1.0, 1.0], [r, 1.0]], dtype=F),
                                         torch.tensor(b, dtype=F))
                x = xhat - (1 - s) * bh * (rho[0].item() * d + rho[1].item() * (m - ms[-1]))
        ms = (ms + [m])[-2:]
        order = min(2, n - k, len(ms))
        last_order, last_x = order, x
        sn = sigmas[k + 1]
        h = lam(sn) - lam(s)
        phi1 = -1.0 if math.isinf(h) else math.expm1(-h)
        nxt = sn / s * x - (1 - sn) * phi1 * m
        if order == 2:
            r = (lam(sigmas[k - 1]) - lam(s)) / h
            nxt = nxt - (1 - sn) * phi1 * 0.5 * (ms[0] - m) / r
        x = nxt
        out.append(x)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sampler", choices=["euler", "unipc"], required=True)
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    t = safetensors_lite.load(a.inp)
    steps, shift = int(t["steps"].item()), float(t["shift"].item())
    sigmas, timesteps = schedule(steps, shift)
    x = t["x"].to(F)
    vs = [v.to(F) for v in t["v"]]
    traj = (euler if a.sampler == "euler" else unipc)(x, vs, sigmas)
    safetensors_lite.save(a.out, {
        "x": traj[-1].to(torch.float32),
        "trajectory": torch.stack(traj).to(torch.float32),
        "sigmas": torch.tensor(sigmas, dtype=F),
        "timesteps": torch.tensor(timesteps, dtype=torch.int64)})


if __name__ == "__main__":
    main()
